/**
 * Checks the runner makes before it does anything: option sanity, drift of applied steps, the
 * contract guard (every backfill complete, the latest validate passed on the plan as it is now and
 * since the last step it covers completed), and the row-count baselines of
 * `check.rowCount({ unchanged: true })`.
 */

import { resolveRelation } from '../db/catalog.js';
import type { Db } from '../db/connection.js';
import type { Ledger, StepState } from '../ledger/ledger.js';
import { latestValidation, saveBaseline } from '../ledger/records.js';
import { DriftError, type DriftedStep, StepFailedError, UsageError } from '../model/errors.js';
import { PHASES, type Phase, type Plan, type RelationName } from '../model/plan.js';
import { stepKind } from '../plan/registry.js';
import { displayRelation, quoteRelation } from '../sql/ident.js';
import { definitionChanges } from './drift-diff.js';
import { planFileArg } from './half-rollback.js';
import { irreversibleReason } from './irreversible.js';

/** Category of a planned step's kind. */
export function categoryOf(kind: string): string {
  return stepKind(kind)?.category ?? 'sql';
}

/** Length of the plan's longest check id, so a proof's marks line up. */
export function checkIdWidth(plan: Plan): number {
  return Math.max(0, ...plan.steps.filter((s) => categoryOf(s.kind) === 'check').map((s) => s.id.length));
}

/** Index of the last step a run may execute, from `--phase` / `--to`. */
export function endIndex(plan: Plan, phase?: Phase, to?: string): number {
  let end = plan.steps.length - 1;
  if (phase) {
    const p = PHASES.indexOf(phase);
    const last = plan.steps.filter((s) => PHASES.indexOf(s.phase) <= p).pop();
    end = last ? last.index : -1;
  }
  if (to) {
    const st = plan.steps.find((s) => s.id === to)!;
    end = Math.min(end, st.index);
  }
  return end;
}

/** Refuse unknown step ids and phases given on the command line (exit 2). */
export function checkRunOptions(
  plan: Plan,
  o: { phase?: string; to?: string; redo?: string[]; acceptChanged?: string[] },
): void {
  const problems: string[] = [];
  if (o.phase && !PHASES.includes(o.phase as Phase))
    problems.push(`--phase "${o.phase}": expected one of ${PHASES.join(', ')}`);
  const ids = new Set(plan.steps.map((s) => s.id));
  for (const [flag, list] of [
    ['--to', o.to ? [o.to] : []],
    ['--redo', o.redo ?? []],
    ['--accept-changed', o.acceptChanged ?? []],
  ] as const) {
    for (const id of list) if (!ids.has(id)) problems.push(`${flag} "${id}": plan "${plan.id}" has no such step`);
  }
  if (problems.length) throw new UsageError(problems.join('\n'));
}

/**
 * Applied steps whose definition changed, split into those `--accept-changed` accepts and the rest,
 * each with the fields that changed (against the definition the ledger kept). Reads nothing.
 */
export function driftOf(
  plan: Plan,
  states: Map<string, StepState>,
  accept: readonly string[],
): { drifted: DriftedStep[]; accepted: DriftedStep[] } {
  const drifted: DriftedStep[] = [];
  const accepted: DriftedStep[] = [];
  for (const step of plan.steps) {
    const st = states.get(step.id);
    const cat = categoryOf(step.kind);
    if (st?.status !== 'completed' || cat === 'check' || cat === 'gate') continue;
    if (st.checksum === step.checksum) continue;
    (accept.includes(step.id) ? accepted : drifted).push({
      stepId: step.id,
      old: st.checksum,
      new: step.checksum,
      changes: st.definition == null ? null : definitionChanges(st.definition, step.definition),
      planFile: planFileArg(plan),
      undoable: !irreversibleReason(step),
    });
  }
  return { drifted, accepted };
}

/** Applied steps whose definition changed; accepted ones are recorded, the rest throw {@link DriftError}. */
export async function checkDrift(
  ledger: Ledger,
  plan: Plan,
  states: Map<string, StepState>,
  accept: string[],
  runId: number,
  actor: string,
): Promise<string[]> {
  const { drifted, accepted } = driftOf(plan, states, accept);
  if (drifted.length) throw new DriftError(plan.id, drifted);
  for (const a of accepted) {
    const step = plan.steps.find((s) => s.id === a.stepId);
    await ledger.acceptDrift(plan.id, a.stepId, runId, a.old, a.new, actor, step?.definition);
  }
  return accepted.map((a) => a.stepId);
}

/** The steps whose data the proof covers: every step but checks and gates, before the contract phase. */
export function provenSteps(plan: Plan): string[] {
  return plan.steps
    .filter((s) => s.phase !== 'contract' && !['check', 'gate'].includes(categoryOf(s.kind)))
    .map((s) => s.id);
}

/** `step "a"` or `steps "a", "b"`. */
function stepList(ids: string[]): string {
  return `${ids.length === 1 ? 'step' : 'steps'} ${ids.map((id) => `"${id}"`).join(', ')}`;
}

/** Why the proof on record does not prove the data as it is now, or undefined when it does. */
export function staleReason(completedAfter: string[]): string | undefined {
  return completedAfter.length
    ? `the validate phase has not passed since ${stepList(completedAfter)} completed (a later run changed the data)`
    : undefined;
}

/** Why the contract phase may not start yet; empty when it may. */
export async function contractBlockers(ledger: Ledger, plan: Plan, states: Map<string, StepState>): Promise<string[]> {
  const missing: string[] = [];
  for (const s of plan.steps) {
    if (categoryOf(s.kind) === 'backfill' && states.get(s.id)?.status !== 'completed')
      missing.push(`backfill "${s.id}" is not complete`);
  }
  const hasChecks = plan.steps.some((s) => s.phase === 'validate' && categoryOf(s.kind) === 'check');
  if (hasChecks) {
    const v = await latestValidation(ledger, plan.id, provenSteps(plan));
    if (!v) missing.push('the validate phase has not run');
    else if (v.plan_checksum !== plan.checksum)
      missing.push('the validate phase has not passed on the plan as it is now (the plan changed since)');
    else if (!v.passed) missing.push(`the latest validate phase failed (${v.failed_checks.join(', ')})`);
    else if (v.completed_after.length) missing.push(staleReason(v.completed_after)!);
  }
  return missing;
}

export function contractRefusal(plan: Plan, missing: string[]): StepFailedError {
  return new StepFailedError(
    'contract',
    `plan "${plan.id}": the contract phase cannot start:\n${missing.map((m) => `- ${m}`).join('\n')}`,
    'Complete the backfills and make the validate phase pass (`npx tidemark verify` shows the proof), then run again.',
  );
}

/** Exact counts of every table a `check.rowCount({ unchanged: true })` names, taken once. */
export async function takeBaselines(db: Db, ledger: Ledger, plan: Plan, runId: number): Promise<void> {
  const tables = new Map<string, RelationName>();
  for (const s of plan.steps) {
    const o = s.options as { unchanged?: boolean; table?: RelationName };
    if (s.kind === 'check.rowCount' && o.unchanged && o.table) tables.set(displayRelation(o.table), o.table);
  }
  const counts: { table: string; rows: number }[] = [];
  for (const [name, rel] of tables) {
    if (!(await resolveRelation(db.pool, rel))) continue;
    const n = await db.rows<{ n: string }>(`SELECT count(*) AS n FROM ${quoteRelation(rel)}`);
    counts.push({ table: name, rows: Number(n[0].n) });
  }
  await saveBaseline(ledger, plan.id, runId, counts);
}
