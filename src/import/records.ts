/**
 * The ORM records a plan declares (`definePlan({ records })`, docs/orm-records.md), built from what
 * the import read.
 */
import { relative } from 'node:path';
import { UsageError } from '../model/errors.js';
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
  // A first revision (no down revision) moves alembic_version from base: `downRevision: null`.
  if (!given.length)
    return moves.map((m) => ({ tool: 'alembic', migration: m.revision, downRevision: m.down ?? null }));
  return given.map((r) => {
    if (r.tool !== 'alembic') return r;
    // The plan covers every revision of the script up to this one, so its record moves
    // alembic_version from where the script starts: follow the chain back through the script.
    let first = moves.find((m) => m.revision === r.migration);
    for (;;) {
      const earlier = first?.down ? moves.find((m) => m.revision === first?.down) : undefined;
      if (!earlier) break;
      first = earlier;
    }
    return first ? { ...r, downRevision: first.down ?? null } : r;
  });
}

/** A record's `dir`, relative to the plan file's folder (as plans give every path). */
export function relativeDir(r: MigrationRecord, planDir: string): MigrationRecord {
  return r.dir ? { ...r, dir: relative(planDir, r.dir) || '.' } : r;
}
