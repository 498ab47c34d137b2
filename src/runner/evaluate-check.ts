/**
 * Evaluating one check step: superseded detection (a column or table an applied contract step
 * removed), fused scans (the per-row checks of one table computed in one pass, see
 * `checks/fused.ts`), severity, errors as failures, storage in the ledger, and the `check.result`
 * event. The runner calls {@link evaluateCheck} once per step, in plan order.
 */

import { couldNotRunMessage } from '../checks/could-not-run.js';
import { fusedValues, rowProbeOf, type ScanMember } from '../checks/fused.js';
import { readOnlyCheck } from '../checks/read-only.js';
import { columnRefs, loadSqlParser } from '../checks/sql-columns.js';
import { checkWhat } from '../checks/what.js';
import { withLockRetry } from '../db/lock-safe.js';
import type { CheckOutcome } from '../kind/events.js';
import type { CheckKind, CheckResult, ReadContext } from '../kind/step-kind.js';
import { recordCheck } from '../ledger/records.js';
import { LockTimeoutError, NotAvailableError } from '../model/errors.js';
import type { PlannedStep, RelationName } from '../model/plan.js';
import { stepKind } from '../plan/registry.js';
import { displayRelation, parseRelation, quoteRelation } from '../sql/ident.js';
import { readContext, type Session } from './context.js';

/** A relation as one comparable string: `public` is where unqualified names live. */
function relKey(rel: RelationName): string {
  const q = parseRelation(rel);
  return displayRelation({ schema: q.schema && q.schema !== 'public' ? q.schema : undefined, name: q.name });
}

/** Tables and columns (`table.column`) a check's options name. */
function objectsOf(o: Record<string, unknown>): {
  tables: Set<string>;
  columns: Set<string>;
  relations: RelationName[];
} {
  const tables = new Set<string>();
  const columns = new Set<string>();
  const relations: RelationName[] = [];
  const add = (table: unknown, cols: unknown[]) => {
    if (!table) return;
    const t = relKey(table as RelationName);
    if (!tables.has(t)) relations.push(table as RelationName);
    tables.add(t);
    for (const c of cols.flat()) if (typeof c === 'string') columns.add(`${t}\u0000${c}`);
  };
  // SQL the check runs over its table (`equals`, `where`) counts by the columns it names.
  const sqlCols = [o.equals, o.where].flatMap((x) => (typeof x === 'string' ? columnRefs(x) : []));
  add(o.table, [o.column, o.columns ?? [], o.groupBy ?? [], o.tenantColumn, sqlCols]);
  const ref = o.references as Record<string, unknown> | undefined;
  if (ref) add(ref.table, [ref.column, ref.tenantColumn]);
  const gf = o.groupsFrom as Record<string, unknown> | undefined;
  if (gf) add(gf.table, [gf.column]);
  return { tables, columns, relations };
}

/**
 * Wait until the check's tables can be read. Checks take only ACCESS SHARE and block nobody, but a
 * session holding an ACCESS EXCLUSIVE lock (a long DDL elsewhere) would make them wait silently:
 * this takes and releases their read locks under the short lock_timeout, retried with backoff,
 * reporting `lock.retry` with the blocker, and on exhaustion fails naming the blocking backend.
 */
async function waitReadable(s: Session, step: PlannedStep): Promise<void> {
  const { relations } = objectsOf(step.options);
  if (!relations.length) return;
  const lock = `LOCK TABLE ${relations.map((r) => quoteRelation(r)).join(', ')} IN ACCESS SHARE MODE`;
  try {
    await withLockRetry(
      s.db,
      s.policy,
      {
        what: `check "${step.id}" (reading ${relations.map((r) => displayRelation(r)).join(', ')})`,
        onEvent: (e) => s.emit({ ...e, stepId: step.id }),
      },
      (c) => c.query(lock),
    );
  } catch (e) {
    // A missing table or an object LOCK TABLE does not take (a foreign table) is for the check itself to report.
    if (e instanceof LockTimeoutError) throw e;
  }
}

/** The step id of an applied contract step that removed what this check looks at, if any. */
export function supersededBy(s: Session, step: PlannedStep): string | undefined {
  const { tables, columns } = objectsOf(step.options);
  if (!tables.size) return undefined;
  for (const other of s.plan.steps) {
    if (other.phase !== 'contract' || !s.appliedSteps.has(other.id)) continue;
    const oo = other.options as { table?: RelationName; column?: string };
    if (!oo.table) continue;
    const t = relKey(oo.table);
    if (other.kind === 'op.dropTable' && tables.has(t)) return other.id;
    if (other.kind === 'op.dropColumn' && oo.column && columns.has(`${t}\u0000${oo.column}`)) return other.id;
  }
  return undefined;
}

/**
 * The checks that share one scan with `step`: per-row checks of the same table among the
 * uninterrupted run of check steps around it in its phase (a step that is not a check may change
 * the data, so it ends the run). Superseded checks are left out.
 */
export function fusionGroup(s: Session, step: PlannedStep): ScanMember[] {
  const steps = s.plan.steps;
  const at = steps.findIndex((x) => x.id === step.id);
  const own = rowProbeOf(stepKind(step.kind) as CheckKind | undefined);
  if (at < 0 || !own) return [];
  const isCheck = (x: PlannedStep | undefined) =>
    !!x && x.phase === step.phase && stepKind(x.kind)?.category === 'check';
  let lo = at;
  let hi = at;
  while (isCheck(steps[lo - 1])) lo--;
  while (isCheck(steps[hi + 1])) hi++;
  const table = relKey(own.table(step.options));
  const members: ScanMember[] = [];
  for (const x of steps.slice(lo, hi + 1)) {
    const probe = rowProbeOf(stepKind(x.kind) as CheckKind | undefined);
    if (!probe || relKey(probe.table(x.options)) !== table || supersededBy(s, x)) continue;
    members.push({ id: x.id, ctx: readContext(s, x), probe, options: x.options });
  }
  return members;
}

/** Evaluate the kind, taking its values from a fused scan of its group when it has a row probe. */
async function evaluateKind(s: Session, step: PlannedStep, kind: CheckKind, ctx: ReadContext): Promise<CheckResult> {
  await waitReadable(s, step);
  // Every statement of the check is read-only and one at a time (checks/read-only.ts); the fused
  // scan of the group runs in its own read-only session, so its failure leaves this one usable.
  const evaluate = () => readOnlyCheck(ctx, (ro) => kind.evaluate!(ro, step.options));
  const probe = rowProbeOf(kind);
  if (!probe) return evaluate();
  const values = await fusedValues(s.fused, step.id, probe.table(step.options), () => fusionGroup(s, step));
  return values ? readOnlyCheck(ctx, (ro) => probe.finish(ro, step.options, values)) : evaluate();
}

/** Evaluate a check; never throws for database errors (they become a failed result). */
export async function evaluateCheck(s: Session, step: PlannedStep, runId: number | null): Promise<CheckOutcome> {
  const kind = stepKind(step.kind) as CheckKind | undefined;
  if (!kind?.evaluate) throw new NotAvailableError(`${step.kind} (step "${step.id}")`);
  const severity = (step.options as { severity?: 'error' | 'warn' }).severity ?? 'error';
  const started = performance.now();
  await loadSqlParser();
  let out: CheckOutcome;
  const sup = supersededBy(s, step);
  if (sup) {
    out = {
      stepId: step.id,
      kind: step.kind,
      title: step.title,
      ...whatOf(step),
      status: 'superseded',
      actual: null,
      expected: null,
      sample: [],
      message: `what it checks was removed by applied step "${sup}"`,
    };
  } else {
    try {
      const r = await evaluateKind(s, step, kind, readContext(s, step));
      const status = r.status === 'fail' && severity === 'warn' ? 'warn' : r.status;
      out = {
        stepId: step.id,
        kind: step.kind,
        title: step.title,
        ...whatOf(step),
        status,
        actual: r.actual,
        expected: r.expected,
        sample: r.sample,
        message: r.message,
        distribution: r.distribution,
      };
    } catch (e) {
      // Not a fifth status: a failure (a warning under severity 'warn') that says it could not run.
      const msg = (e as Error).message;
      out = {
        stepId: step.id,
        kind: step.kind,
        title: step.title,
        ...whatOf(step),
        status: severity === 'warn' ? 'warn' : 'fail',
        actual: null,
        expected: null,
        sample: [],
        message: couldNotRunMessage(msg),
        error: true,
      };
    }
  }
  out.durationMs = performance.now() - started;
  if (s.ledger) {
    await recordCheck(s.ledger, {
      planId: s.plan.id,
      stepId: step.id,
      runId,
      phase: step.phase,
      kind: step.kind,
      status: out.status,
      severity,
      actual: out.actual,
      expected: out.expected,
      sample: out.distribution ? out.distribution : out.sample,
      message: out.message,
      planChecksum: s.plan.checksum,
      stepChecksum: step.checksum,
      durationMs: out.durationMs,
    });
  }
  s.emit({ type: 'check.result', phase: step.phase, result: out });
  return out;
}

/** True when a result fails the proof (a check that could not run is a failure; warnings and superseded are not). */
export function isFailure(r: CheckOutcome): boolean {
  return r.status === 'fail';
}

/** `{ what }` for a check's outcome, when its kind has words for it. */
function whatOf(step: PlannedStep): { what?: string } {
  const what = checkWhat(step.kind, step.options as Record<string, unknown>);
  return what ? { what } : {};
}
