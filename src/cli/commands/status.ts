/**
 * `tidemark status [<plan>]`: what the ledger holds, as a compact table. Without a plan: every plan
 * in the ledger (status, steps done, last run). With a plan file: its steps (phase, kind, status,
 * rows, duration, backfill progress, latest check or gate verdict). Never creates or changes the
 * ledger: without one it says "no ledger in this database yet". The data comes from
 * `readStatus` / `readPlanStatus` (src/api/status.ts); this file renders it. A folder: one line per
 * plan file. `--check` exits 6 when any plan is not complete (pending, failed, waiting at a gate).
 */
import type { Command } from 'commander';
import pc from 'picocolors';
import type { PlanStatus, ProofStatus } from '../../api/status.js';
import { COULD_NOT_RUN, couldNotRunAdvice } from '../../checks/could-not-run.js';
import { PendingWorkError } from '../../model/errors.js';
import type { Plan } from '../../model/plan.js';
import { fmtMs, fmtTime } from '../../report/format.js';
import { action } from '../action.js';
import { type CliContext, connectOptions } from '../context.js';

const iso = (d: Date | null | undefined) => (d ? fmtTime(d.toISOString()) : '');

async function allPlans(ctx: CliContext, check: boolean): Promise<number> {
  const [{ readStatus }, { textTable }] = await Promise.all([
    import('../../api/status.js'),
    import('../render/table.js'),
  ]);
  const s = await readStatus(connectOptions(ctx, await ctx.databaseUrl()));
  ctx.renderer.json({ type: 'status', ...s });
  if (!s.ledger) {
    ctx.renderer.print(`no ledger in this database yet (schema "${s.schema}"): no plan has run here`);
    return 0;
  }
  if (!s.plans.length) {
    ctx.renderer.print(`the ledger (schema "${s.schema}") holds no plan yet`);
    return 0;
  }
  for (const line of textTable(
    s.plans.map((p) => ({
      plan: p.planId,
      status: p.status,
      steps: `${p.stepsCompleted}/${p.stepsTotal}`,
      'last run': p.lastRun ? `#${p.lastRun.runId} ${p.lastRun.command} ${p.lastRun.status}` : '',
      when: iso(p.lastRun?.finishedAt ?? p.lastRun?.startedAt),
      by: p.lastRun?.runBy ?? '',
      title: p.title !== p.planId ? p.title : '',
    })),
  ))
    ctx.renderer.print(line);
  if (check) {
    const left = s.plans.filter((p) => p.status !== 'completed');
    if (left.length) throw new PendingWorkError(left.map((p) => ({ planId: p.planId, status: p.status })));
  }
  return 0;
}

/** Not complete: a step of the plan file that is not completed (a never-run plan is `pending`). */
function incomplete(s: PlanStatus): { planId: string; status: string } | undefined {
  if (s.steps.every((l) => l.status === 'completed')) return undefined;
  const status = !s.status || s.status === 'completed' || s.status === 'rolled_back' ? 'pending' : s.status;
  return { planId: s.planId, status };
}

/** One line per plan of a folder, in file-name order. */
async function folder(ctx: CliContext, plans: Plan[], check: boolean): Promise<number> {
  const [{ readPlanStatus }, { textTable }] = await Promise.all([
    import('../../api/status.js'),
    import('../render/table.js'),
  ]);
  const databaseUrl = await ctx.databaseUrl();
  const all: PlanStatus[] = [];
  for (const plan of plans) all.push(await readPlanStatus(plan, connectOptions(ctx, databaseUrl)));
  ctx.renderer.json({ type: 'status', plans: all });
  for (const line of textTable(
    all.map((p, i) => ({
      plan: p.planId,
      file: plans[i].file?.split('/').pop() ?? '',
      status: incomplete(p)?.status ?? 'completed',
      steps: `${p.steps.filter((l) => l.status === 'completed').length}/${p.steps.length}`,
      'last run': p.lastRun ? `#${p.lastRun.runId} ${p.lastRun.command} ${p.lastRun.status}` : '',
      when: iso(p.lastRun?.finishedAt ?? p.lastRun?.startedAt),
    })),
  ))
    ctx.renderer.print(line);
  const left = all.map(incomplete).filter((x) => x !== undefined);
  if (check && left.length) throw new PendingWorkError(left);
  return 0;
}

/** The latest proof in one line: whether the contract may count on it. */
function proofLine(p: ProofStatus, steps: PlanStatus['steps'], c: ReturnType<typeof pc.createColors>): string {
  const at = p.at ? ` at ${iso(p.at)}` : '';
  if (p.state === 'passed') return c.green(`proof: passed${at} on the plan as it is now`);
  if (p.state === 'failed') {
    // A check that could not run has no rows to fix: say why it could not (a name, the order of the plan).
    const broken = steps.filter((st) => p.failed.includes(st.stepId) && st.last?.includes(COULD_NOT_RUN));
    const todo = broken.length
      ? `${broken.map((st) => st.stepId).join(', ')} could not run: ${couldNotRunAdvice(broken.map((st) => st.last ?? ''))}${broken.length < p.failed.length ? '; for the others, fix the data the samples name' : ''}`
      : 'fix the data, then run again';
    return c.red(`proof: failed${at} (${p.failed.join(', ')}): ${todo}`);
  }
  if (p.state === 'stale')
    return c.yellow(
      `proof: stale — passed${at}, but ${p.staleBecause}: the next run proves it again before the contract`,
    );
  return c.dim('proof: not run yet');
}

async function onePlan(ctx: CliContext, file: string, check: boolean): Promise<number> {
  const [{ isPlanFolder, loadPlan, loadPlans }, { readPlanStatus }, { formatProgress, formatWorker }, { textTable }] =
    await Promise.all([
      import('../../plan/load.js'),
      import('../../api/status.js'),
      import('../../report/status.js'),
      import('../render/table.js'),
    ]);
  if (isPlanFolder(file)) return folder(ctx, await loadPlans(file), check);
  const plan = await loadPlan(file);
  const s = await readPlanStatus(plan, connectOptions(ctx, await ctx.databaseUrl()));
  ctx.renderer.json({ type: 'status', ...s });
  const c = ctx.renderer.color ? pc : pc.createColors(false);
  ctx.renderer.print(
    c.bold(`plan "${s.planId}"${s.title !== s.planId ? ` — ${s.title}` : ''}: ${s.status ?? 'never run'}`),
  );
  if (!s.ledger)
    ctx.renderer.print(`no ledger in this database yet (schema "${s.schema}"): plan "${s.planId}" has never run here`);
  else if (!s.status) ctx.renderer.print(`plan "${s.planId}" has never run in this database`);
  else if (s.lastRun)
    ctx.renderer.print(
      c.dim(
        `last run #${s.lastRun.runId} (${s.lastRun.command}) ${s.lastRun.status} at ${iso(s.lastRun.finishedAt ?? s.lastRun.startedAt)}${s.lastRun.message ? ':' : ''}`,
      ),
    );
  if (s.lastRun?.message) ctx.renderer.print(indent(s.lastRun.message));
  if (s.status) ctx.renderer.print(proofLine(s.proof, s.steps, c));
  for (const r of s.records)
    ctx.renderer.print(
      c.dim(`records: ${r.tool} migration "${r.migration}" applied in its history since ${iso(r.writtenAt)}`),
    );
  ctx.renderer.print('');
  const done = s.steps.filter((l) => l.status === 'completed').length;
  for (const line of textTable(
    s.steps.map((l) => ({
      phase: l.phase,
      step: l.stepId,
      kind: l.kind,
      status: l.attempts > 1 ? `${l.status} (${l.attempts} attempts)` : l.status,
      rows: l.rows ?? '',
      duration: l.durationMs == null ? '' : fmtMs(l.durationMs),
      progress: formatProgress(l.progress),
      last: l.last ?? '',
    })),
  ))
    ctx.renderer.print(line);
  // A backfill worked by several workers: each one's share, under the table.
  for (const l of s.steps.filter(
    (x) => x.workers && (x.workers.length > 1 || x.workers.some((w) => w.command !== 'run')),
  )) {
    ctx.renderer.print('');
    ctx.renderer.print(`step "${l.stepId}" workers:`);
    for (const w of l.workers!) ctx.renderer.print(`    ${formatWorker(w)}`);
  }
  // The table holds each error's first line; the whole message follows, indented.
  for (const l of s.steps.filter((x) => x.error?.includes('\n'))) {
    ctx.renderer.print('');
    ctx.renderer.print(`step "${l.stepId}" (${l.status}):`);
    ctx.renderer.print(indent(l.error!));
  }
  ctx.renderer.print('');
  ctx.renderer.print(`${done} of ${s.steps.length} steps done`);
  const left = incomplete(s);
  if (check && left) throw new PendingWorkError([left]);
  return 0;
}

/** A message, every line indented, so a multi-line error reads as one block. */
function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .argument('[plan]', 'plan file, or a folder of plan files (default: every plan in the ledger)')
    .description("what the ledger holds: every plan, or one plan's steps, backfill progress and last checks")
    .option('--check', 'exit 6 when any plan is pending, failed or waiting at a gate, 0 when all are complete')
    .action(
      action<{ check?: boolean }>(async (ctx, [file], flags) =>
        file ? onePlan(ctx, file, !!flags.check) : allPlans(ctx, !!flags.check),
      ),
    );
}
