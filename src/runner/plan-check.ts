/**
 * The whole plan checked against the database before its first step (docs/plans.md, "Checked
 * before the first step"): every table and column a pending step names must exist now or be
 * created by an earlier step, and every SQL fragment (`set`, `values`, `where`, check expressions,
 * `check.query`) must prepare against the schema as that step will meet it. All problems are
 * reported at once (exit 2), before anything is applied; `plan`, `run --dry-run` and `run` share it.
 */

import type pg from 'pg';
import type { StepState } from '../ledger/ledger.js';
import { PlanInvalidError } from '../model/errors.js';
import type { PlanIssue, PlannedStep } from '../model/plan.js';
import type { Session } from './context.js';
import { type NameRef, PlannedSchema, showTable, stepRefs } from './plan-names.js';
import { ScratchSchema } from './scratch-schema.js';

/** A name nothing creates before the step that uses it. */
interface Missing {
  st: PlannedStep;
  ref: NameRef;
}

/**
 * Check the names and fragments of the `pending` steps. Throws {@link PlanInvalidError} listing
 * every problem; fragments that cannot be prepared in advance (their table is made by raw SQL) are
 * said in an `info` notice and checked when their step starts.
 */
export async function checkPlanNames(
  s: Session,
  pending: ReadonlySet<string>,
  states: ReadonlyMap<string, StepState>,
): Promise<void> {
  const { plan } = s;
  // A step that ran before (a crash or failure midway, a --redo) may have dropped what it names:
  // it is checked by its own pre-flight when it resumes. What an applied step dropped is no typo.
  const attempted = (id: string) => (states.get(id)?.attempts ?? 0) > 0;
  const dropped = droppedByApplied(plan.steps, attempted);
  if (!plan.steps.some((st) => pending.has(st.id) && !attempted(st.id))) return;
  const schema = await PlannedSchema.load(s.db.pool, plan);
  const missing: Missing[] = [];
  const issues: PlanIssue[] = [];
  const skipped: string[] = [];
  const client = await s.db.pool.connect();
  const scratch = new ScratchSchema(client);
  let broken = false;
  try {
    await scratch.begin();
    for (const st of plan.steps) {
      if (pending.has(st.id) && !attempted(st.id)) {
        const { names, fragments } = stepRefs(st);
        const before = missing.length;
        for (const ref of names) {
          if (dropped.has(showTable(ref.table)) || dropped.has(`${showTable(ref.table)}.${ref.column}`)) continue;
          const t = schema.table(ref.table);
          if (!t) {
            if (!missing.some((m) => m.st === st && showTable(m.ref.table) === showTable(ref.table) && !m.ref.column))
              missing.push({ st, ref: { field: ref.field, table: ref.table } });
          } else if (ref.column !== undefined && !t.opaqueBy && !t.columns.has(ref.column)) {
            missing.push({ st, ref });
          }
        }
        if (missing.length === before)
          for (const f of fragments) {
            const r = await scratch.prepare(f, schema);
            if ('skipped' in r) skipped.push(`step "${st.id}" › ${f.field}: ${r.skipped}`);
            else if ('error' in r && schema.objectsBy && !['42703', '42P01'].includes(r.error.code ?? ''))
              skipped.push(
                `step "${st.id}" › ${f.field}: it may use a type or function step "${schema.objectsBy}" creates (${r.error.message})`,
              );
            else if ('error' in r && madeByRawSql(r.error, schema))
              skipped.push(`step "${st.id}" › ${f.field}: it names what a raw SQL step makes (${r.error.message})`);
            else if ('error' in r) issues.push(fragmentIssue(st, f.field, r.error));
          }
      }
      schema.apply(plan, st);
      await scratch.apply(st, schema);
    }
  } catch (e) {
    broken = true;
    throw e;
  } finally {
    try {
      await scratch.end();
    } catch {
      broken = true;
    }
    client.release(broken);
  }
  const nameIssues = schema.opaqueBy ? [] : missing.map((m) => missingIssue(m, schema));
  if (schema.opaqueBy && missing.length)
    skipped.push(
      `${missing.length} name(s) not found now, which raw SQL step "${schema.opaqueBy}" may create (its effects cannot be read in advance)`,
    );
  for (const line of skipped)
    s.emit({
      type: 'notice',
      level: 'info',
      message: `not checked before the first step: ${line}; checked when the step starts`,
    });
  const all = [...nameIssues, ...issues];
  if (all.length) throw new PlanInvalidError(all, plan.id);
}

/** Tables (`"t"`) and columns (`"t".c`) that steps which already ran drop. */
function droppedByApplied(steps: PlannedStep[], attempted: (id: string) => boolean): Set<string> {
  const out = new Set<string>();
  for (const st of steps) {
    if (!attempted(st.id)) continue;
    const o = st.options as { table?: string; column?: string };
    if (st.kind === 'op.dropTable' && o.table) out.add(showTable(o.table));
    if (st.kind === 'op.dropColumn' && o.table) out.add(`${showTable(o.table)}.${o.column}`);
  }
  return out;
}

/** `no step creates "orders"."emial" — typo?`, or the later step that creates it. */
function missingIssue(m: Missing, final: PlannedSchema): PlanIssue {
  const { st, ref } = m;
  const name = ref.column === undefined ? showTable(ref.table) : `${showTable(ref.table)}."${ref.column}"`;
  const t = final.table(ref.table);
  const later = ref.column === undefined ? t?.createdBy : t?.columns.get(ref.column)?.by;
  return {
    phase: st.phase,
    stepId: st.id,
    field: ref.field,
    message: later
      ? `${name} is created only by a later step, "${later}": move this step after it`
      : `no step creates ${name} — typo?`,
  };
}

/** A fragment PostgreSQL refused; a missing column or table says that no earlier step creates it. */
function fragmentIssue(st: PlannedStep, field: string, e: pg.DatabaseError): PlanIssue {
  const hint = e.hint ? ` (hint: ${e.hint})` : '';
  const undefinedName = e.code === '42703' || e.code === '42P01';
  return {
    phase: st.phase,
    stepId: st.id,
    field,
    message: undefinedName ? `${e.message}, and no earlier step creates it — typo?${hint}` : `${e.message}${hint}`,
  };
}

/**
 * A missing table or column that raw SQL of the plan makes (or may make): its scratch copy cannot
 * be built in advance, so the fragment is checked when its step starts instead.
 */
function madeByRawSql(e: pg.DatabaseError, schema: PlannedSchema): boolean {
  if (e.code !== '42703' && e.code !== '42P01') return false;
  if (schema.opaqueBy) return true;
  const named = /(?:column|relation) "?([^"\s]+)"? does not exist/.exec(e.message)?.[1];
  if (!named) return false;
  const last = named.split('.').pop()!;
  for (const t of schema.tables.values()) {
    if (e.code === '42P01' && t.name === last && (t.rawBy || t.opaqueBy)) return true;
    if (e.code === '42703' && (t.opaqueBy || t.columns.get(last)?.raw)) return true;
  }
  return false;
}
