/**
 * Which steps `rollback` cannot undo, for `rollback` (it refuses before undoing anything), `plan
 * --rollback` and the ways out of drift (docs/cli.md).
 */
import type { PlannedStep } from '../model/plan.js';

/** Why a step cannot be undone, or undefined. */
export function irreversibleReason(st: PlannedStep): string | undefined {
  if (st.kind === 'op.addEnumValue') return 'PostgreSQL cannot drop an enum value';
  if ((st.kind === 'sql' || st.kind === 'sqlFile') && !(st.options as { down?: unknown }).down)
    return 'raw SQL without `down`';
  return undefined;
}
