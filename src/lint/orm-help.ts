/**
 * The fix in the migration tool's own terms, shown before the Tidemark operation when the linted
 * file was written for Prisma or Drizzle (docs/lint.md, "Prisma and Drizzle"). Prisma sends a
 * migration file as one query: a file with a single statement runs outside a transaction block.
 * drizzle-orm's `migrate()` runs every pending migration inside one transaction and has no option
 * to leave it, so a non-transactional statement must run outside it.
 */
import type { SqlRunner } from './rule.js';

/** The kinds of fix that differ per tool. */
export type OrmFix = 'concurrent-index' | 'validate-later' | 'not-null-check' | 'nullable-column';

const PRISMA: Record<OrmFix, string> = {
  'concurrent-index':
    'Prisma: put CREATE INDEX CONCURRENTLY alone in its own migration (prisma migrate dev --create-only, then edit migration.sql); a migration with a single statement runs outside a transaction.',
  'validate-later':
    'Prisma: keep ADD CONSTRAINT … NOT VALID in this migration and put VALIDATE CONSTRAINT alone in the next one (prisma migrate dev --create-only).',
  'not-null-check':
    'Prisma: in migrations made with --create-only, ADD CONSTRAINT … CHECK (… IS NOT NULL) NOT VALID; then VALIDATE CONSTRAINT alone in the next migration; then SET NOT NULL and DROP CONSTRAINT.',
  'nullable-column':
    'Prisma: make the field optional (String?) in this migration, fill it, then make it required in a later migration.',
};

const DRIZZLE: Record<OrmFix, string> = {
  'concurrent-index':
    'Drizzle: migrate() runs all pending migrations in one transaction, so CONCURRENTLY fails there; write it in a custom migration (drizzle-kit generate --custom) and run that statement outside migrate().',
  'validate-later':
    'Drizzle: migrate() applies pending migrations in one transaction, so a VALIDATE in a later migration file still shares it when both are pending; run VALIDATE CONSTRAINT outside migrate() or in a later deploy.',
  'not-null-check':
    'Drizzle: in a custom migration (drizzle-kit generate --custom), ADD CONSTRAINT … CHECK (… IS NOT NULL) NOT VALID; VALIDATE and SET NOT NULL in a later deploy (migrate() runs pending migrations in one transaction).',
  'nullable-column': 'Drizzle: add the column without .notNull(), fill it, then add .notNull() in a later migration.',
};

/** `help` prefixed with the Prisma or Drizzle way to do it, when the script belongs to one of them. */
export function ormHelp(runner: SqlRunner, fix: OrmFix, help: string): string {
  const own = runner === 'prisma' ? PRISMA[fix] : runner === 'drizzle' ? DRIZZLE[fix] : undefined;
  return own ? `${own} Tidemark: ${help}` : help;
}
