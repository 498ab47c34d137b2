/**
 * Lint settings: per-rule levels and the database-aware thresholds. Everything has a default;
 * `resolveLintConfig` validates user input and lists every problem (exit 2).
 */
import { z } from 'zod';
import { UsageError } from '../model/errors.js';

const level = z.enum(['error', 'warning', 'off']);

const schema = z
  .object({
    /** Per rule: `error`, `warning` or `off`. */
    rules: z.record(z.string(), level).optional(),
    /** With a database: findings on tables with fewer rows than this are waived (default 10,000). */
    smallTableRows: z.number().int().nonnegative().optional(),
    /** With a database: transactions open longer than this on a target table are reported (default 60 s). */
    longTransactionSeconds: z.number().nonnegative().optional(),
    /** Treat every standalone SQL file as running inside one transaction block (a runner that wraps them). */
    assumeInTransaction: z.boolean().optional(),
  })
  .strict();

/** Lint settings as a user writes them. */
export type LintConfigInput = z.input<typeof schema>;

/** Lint settings with defaults applied. */
export interface LintConfig {
  rules: Record<string, 'error' | 'warning' | 'off'>;
  smallTableRows: number;
  longTransactionSeconds: number;
  assumeInTransaction: boolean;
}

/** Defaults: every rule at its own level; 10,000 rows; 60 s. */
export const DEFAULT_LINT_CONFIG: LintConfig = {
  rules: {},
  smallTableRows: 10_000,
  longTransactionSeconds: 60,
  assumeInTransaction: false,
};

/** Validate and complete lint settings; unknown rule ids are refused. */
export function resolveLintConfig(input: LintConfigInput | undefined, knownRules: readonly string[]): LintConfig {
  const parsed = schema.safeParse(input ?? {});
  const problems: string[] = [];
  if (!parsed.success)
    for (const i of parsed.error.issues) problems.push(`${i.path.join('.') || '(lint config)'}: ${i.message}`);
  const rules = parsed.success ? (parsed.data.rules ?? {}) : {};
  for (const id of Object.keys(rules))
    if (!knownRules.includes(id)) problems.push(`rules.${id}: unknown rule (known: ${knownRules.join(', ')})`);
  if (problems.length) throw new UsageError(`lint config is invalid:\n${problems.map((p) => `- ${p}`).join('\n')}`);
  const d = parsed.data!;
  return {
    rules,
    smallTableRows: d.smallTableRows ?? DEFAULT_LINT_CONFIG.smallTableRows,
    longTransactionSeconds: d.longTransactionSeconds ?? DEFAULT_LINT_CONFIG.longTransactionSeconds,
    assumeInTransaction: d.assumeInTransaction ?? DEFAULT_LINT_CONFIG.assumeInTransaction,
  };
}
