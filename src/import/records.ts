/**
 * The ORM records a plan declares (`definePlan({ records })`), built from what the import read,
 * and whether this Tidemark's plans take them yet: the plan validator is asked, so a plan written
 * here always loads.
 */
import { relative } from 'node:path';
import { PlanInvalidError, UsageError } from '../model/errors.js';
import { validatePlan } from '../plan/validate.js';
import type { AlembicMove } from './map-script.js';
import type { MigrationRecord } from './model.js';

const TOOLS = ['prisma', 'drizzle', 'alembic'];

/** `--records TOOL:MIGRATION` values → records. */
export function parseRecordFlags(values: string[]): MigrationRecord[] {
  return values.map((v) => {
    const at = v.indexOf(':');
    const tool = at > 0 ? v.slice(0, at) : '';
    const migration = at > 0 ? v.slice(at + 1) : '';
    if (!TOOLS.includes(tool) || !migration)
      throw new UsageError(
        `import: --records "${v}" must be TOOL:MIGRATION with TOOL one of ${TOOLS.join(', ')}`,
        'For Alembic: --records alembic:<revision>.',
      );
    return { tool, migration };
  });
}

/**
 * Alembic records: those given, each completed with the down revision the offline SQL moved
 * `alembic_version` from; with none given, one per revision the SQL applies.
 */
export function alembicRecords(given: MigrationRecord[], moves: AlembicMove[]): MigrationRecord[] {
  if (!given.length) return moves.map((m) => ({ tool: 'alembic', migration: m.revision, downRevision: m.down }));
  return given.map((r) => {
    const move = r.tool === 'alembic' ? moves.find((m) => m.revision === r.migration) : undefined;
    return move?.down ? { ...r, downRevision: move.down } : r;
  });
}

/** A record's `dir`, relative to the plan file's folder (as plans give every path). */
export function relativeDir(r: MigrationRecord, planDir: string): MigrationRecord {
  return r.dir ? { ...r, dir: relative(planDir, r.dir) || '.' } : r;
}

/** Does this Tidemark's plan validator take `records` — and which record keys? */
export async function recordsSupport(): Promise<{ field: boolean; keys: readonly string[] }> {
  const probe = async (rec: Record<string, unknown>) => {
    try {
      await validatePlan({ id: 'records-probe', records: [rec], __tidemarkPlan: true });
      return [];
    } catch (e) {
      if (e instanceof PlanInvalidError) return e.issues;
      throw e;
    }
  };
  const issues = await probe({ tool: 'alembic', migration: 'b', downRevision: 'a' });
  if (issues.some((i) => i.field === 'records' && /unknown/i.test(i.message)))
    return { field: false, keys: ['tool', 'migration', 'dir', 'downRevision'] };
  const downRevision = !issues.some((i) => `${i.field ?? ''} ${i.message}`.includes('downRevision'));
  return {
    field: true,
    keys: downRevision ? ['tool', 'migration', 'dir', 'downRevision'] : ['tool', 'migration', 'dir'],
  };
}
