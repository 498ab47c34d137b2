/**
 * Archives: what the contract-phase drops (`dropTable`, `dropColumn`, `dropIndex`,
 * `dropConstraint`) keep so that `rollback` can restore exactly what they removed. Data lives in
 * the schema {@link ARCHIVE_SCHEMA}; every archive is recorded in the ledger table `archives`
 * (plan, step, kind, object, where the data went, and the definition needed to rebuild it) by
 * src/ledger/archives.ts.
 */
import type { Queryable } from '../db/connection.js';
import { type ArchiveRecord, insertArchive } from '../ledger/archives.js';
import type { Ledger } from '../ledger/ledger.js';
import { sha256 } from '../sql/checksum.js';
import { generatedName, quoteIdent } from '../sql/ident.js';

// The records themselves are the ledger's (src/ledger/archives.ts); the drops import them from here.
export {
  type ArchiveKind,
  type ArchiveRecord,
  activeArchive,
  activeArchiveIfAny,
  markArchiveRestored,
  updateArchiveDefinition,
} from '../ledger/archives.js';

/** The schema archived tables and archived column data are moved into. */
export const ARCHIVE_SCHEMA = 'tidemark_archive';

/**
 * A deterministic name in the archive schema for what a step archives: readable parts, then a
 * short hash of plan, step and parts so two plans archiving the same table never collide. Within
 * PostgreSQL's 63 bytes.
 */
export function archiveName(planId: string, stepId: string, parts: string[]): string {
  const h = sha256(`${planId}\u0000${stepId}\u0000${parts.join('\u0000')}`).slice(0, 8);
  return generatedName(parts, h, sha256);
}

/** `CREATE SCHEMA IF NOT EXISTS` the archive schema; tolerant of a concurrent creation. */
export async function ensureArchiveSchema(client: Queryable): Promise<void> {
  const r = await client.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [ARCHIVE_SCHEMA]);
  if (r.rowCount) return;
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(ARCHIVE_SCHEMA)}`);
}

/**
 * Record a new archive in the ledger, its data in {@link ARCHIVE_SCHEMA} unless said otherwise; pass
 * the transaction that creates it so both commit together.
 */
export async function recordArchive(
  l: Ledger,
  client: Queryable,
  a: Omit<ArchiveRecord, 'id' | 'restoredAt' | 'archiveSchema'> & { archiveSchema?: string },
): Promise<ArchiveRecord> {
  return insertArchive(l, client, { ...a, archiveSchema: a.archiveSchema ?? ARCHIVE_SCHEMA });
}
