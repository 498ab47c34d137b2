/**
 * `tidemark.config.ts`: optional project settings. `defineConfig` only types them; `loadConfig`
 * reads the file from a directory and validates it, listing every problem (exit 2).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { z as Zod } from 'zod';
import { DEFAULT_LOCK_POLICY, type LockPolicy } from '../db/lock-policy.js';
import type { LintConfigInput } from '../lint/config.js';
import { UsageError } from '../model/errors.js';

/**
 * The config's schema. zod is imported only when there is a config file to check, so a command run
 * without one does not load it (docs/architecture.md, "Start-up").
 */
const configSchema = (z: typeof Zod) =>
  z
    .object({
      databaseUrl: z.string().min(1).optional(),
      ledgerSchema: z.string().min(1).max(63).optional(),
      lockTimeoutMs: z.number().int().positive().optional(),
      lockRetries: z.number().int().positive().optional(),
      statementTimeoutMs: z.number().int().nonnegative().optional(),
      concurrentTimeoutMs: z.number().int().positive().optional(),
      /** Legacy: a row cap above which op.convertToEnum takes the shadow path whatever the estimate. */
      shadowThresholdRows: z.number().int().nonnegative().optional(),
      /** op.convertToEnum rewrites in place only when the estimated lock time is at most this (default 200). */
      maxRewriteLockMs: z.number().int().nonnegative().optional(),
      backfill: z.object({ targetBatchMs: z.number().int().positive().optional() }).strict().optional(),
      /** Lint rule levels and thresholds (validated by the linter, see docs/lint.md). */
      lint: z.custom<LintConfigInput>((v) => typeof v === 'object' && v !== null, 'must be an object').optional(),
    })
    .strict();

export type TidemarkConfig = Zod.input<ReturnType<typeof configSchema>>;

/** Type a config file's default export. */
export function defineConfig(config: TidemarkConfig): TidemarkConfig {
  return config;
}

export const CONFIG_FILES = ['tidemark.config.ts', 'tidemark.config.mts', 'tidemark.config.js', 'tidemark.config.mjs'];

/** Load `tidemark.config.*` from `dir`; `{}` when there is none. */
export async function loadConfig(dir: string): Promise<TidemarkConfig & { file?: string }> {
  const file = CONFIG_FILES.map((f) => join(dir, f)).find((f) => existsSync(f));
  if (!file) return {};
  let mod: Record<string, unknown>;
  try {
    // The TypeScript loader (jiti) and the kinds load only when there is a config file to read.
    const { importModule } = await import('../plan/load.js');
    mod = await importModule(file);
  } catch (e) {
    throw new UsageError(`cannot load ${file}: ${(e as Error).message}`);
  }
  const { z } = await import('zod');
  const parsed = configSchema(z).safeParse(mod.default ?? mod.config);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `- ${i.path.join('.') || '(config)'}: ${i.message}`);
    throw new UsageError(`${file} is invalid:\n${lines.join('\n')}`);
  }
  return { ...parsed.data, file };
}

/** The lock policy a config asks for. */
export function lockPolicyOf(config: TidemarkConfig): LockPolicy {
  return {
    ...DEFAULT_LOCK_POLICY,
    lockTimeoutMs: config.lockTimeoutMs ?? DEFAULT_LOCK_POLICY.lockTimeoutMs,
    retries: config.lockRetries ?? DEFAULT_LOCK_POLICY.retries,
    statementTimeoutMs: config.statementTimeoutMs ?? DEFAULT_LOCK_POLICY.statementTimeoutMs,
    concurrentTimeoutMs: config.concurrentTimeoutMs ?? DEFAULT_LOCK_POLICY.concurrentTimeoutMs,
  };
}
