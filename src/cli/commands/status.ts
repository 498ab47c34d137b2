/**
 * `tidemark status [<plan>]`: what the ledger holds, as a compact table. Without a plan: every plan
 * in the ledger (status, steps done, last run). With a plan file: its steps (phase, kind, status,
 * rows, duration, backfill progress, latest check or gate verdict). Never creates or changes the
 * ledger: without one it says "no ledger in this database yet".
 */
import type { Command } from 'commander';
import pc from 'picocolors';
import { Db } from '../../db/connection.js';
import { loadPlan } from '../../plan/load.js';
import { fmtMs, fmtTime } from '../../report/format.js';
import { listPlans, openLedger } from '../../report/ledger-reads.js';
import { formatProgress, planStatus } from '../../report/status.js';
import { withGlobals, type CliContext } from '../context.js';
import { action } from '../action.js';
import { textTable } from '../render/table.js';

const iso = (d: Date | null | undefined) => (d ? fmtTime(d.toISOString()) : '');

async function allPlans(ctx: CliContext, db: Db, schema: string): Promise<number> {
  const ledger = await openLedger(db, schema);
  if (!ledger) {
    ctx.renderer.json({ type: 'status', ledger: false, plans: [] });
    ctx.renderer.print(`no ledger in this database yet (schema "${schema}"): no plan has run here`);
    return 0;
  }
  const plans = await listPlans(ledger);
  ctx.renderer.json({ type: 'status', ledger: true, plans });
  if (!plans.length) {
    ctx.renderer.print(`the ledger (schema "${schema}") holds no plan yet`);
    return 0;
  }
  for (const line of textTable(plans.map((p) => ({
    plan: p.planId,
    status: p.status,
    steps: `${p.stepsCompleted}/${p.stepsTotal}`,
    'last run': p.lastRun ? `#${p.lastRun.runId} ${p.lastRun.command} ${p.lastRun.status}` : '',
    when: iso(p.lastRun?.finishedAt ?? p.lastRun?.startedAt),
    by: p.lastRun?.runBy ?? '',
    title: p.title !== p.planId ? p.title : '',
  })))) ctx.renderer.print(line);
  return 0;
}

async function onePlan(ctx: CliContext, db: Db, schema: string, file: string): Promise<number> {
  const plan = await loadPlan(file);
  const ledger = await openLedger(db, schema);
  const planRow = ledger ? await ledger.planRow(plan.id) : undefined;
  const lines = await planStatus(planRow ? ledger : undefined, plan);
  const lastRun = planRow && ledger ? (await ledger.db.rows<{ run_id: string; command: string; status: string; message: string | null; started_at: Date; finished_at: Date | null }>(
    `SELECT run_id, command, status, message, started_at, finished_at FROM ${ledger.s}.runs WHERE plan_id = $1 ORDER BY run_id DESC LIMIT 1`, [plan.id]))[0] : undefined;
  ctx.renderer.json({ type: 'status', ledger: !!ledger, planId: plan.id, status: planRow?.status ?? null, lastRun: lastRun ?? null, steps: lines });
  const c = ctx.renderer.color ? pc : pc.createColors(false);
  ctx.renderer.print(c.bold(`plan "${plan.id}"${plan.title !== plan.id ? ` — ${plan.title}` : ''}: ${planRow?.status ?? 'never run'}`));
  if (!ledger) ctx.renderer.print(`no ledger in this database yet (schema "${schema}"): plan "${plan.id}" has never run here`);
  else if (!planRow) ctx.renderer.print(`plan "${plan.id}" has never run in this database`);
  else if (lastRun) ctx.renderer.print(c.dim(`last run #${lastRun.run_id} (${lastRun.command}) ${lastRun.status} at ${iso(lastRun.finished_at ?? lastRun.started_at)}${lastRun.message ? ` — ${lastRun.message.split('\n')[0]}` : ''}`));
  ctx.renderer.print('');
  const done = lines.filter((l) => l.status === 'completed').length;
  for (const line of textTable(lines.map((l) => ({
    phase: l.phase,
    step: l.stepId,
    kind: l.kind,
    status: l.attempts > 1 ? `${l.status} (${l.attempts} attempts)` : l.status,
    rows: l.rows ?? '',
    duration: l.durationMs == null ? '' : fmtMs(l.durationMs),
    progress: formatProgress(l.progress),
    last: l.last ?? '',
  })))) ctx.renderer.print(line);
  ctx.renderer.print('');
  ctx.renderer.print(`${done} of ${lines.length} steps done`);
  return 0;
}

export function registerStatus(program: Command): void {
  withGlobals(program.command('status [plan]').description('what the ledger holds: every plan, or one plan\'s steps, backfill progress and last checks'))
    .action(action(async (ctx, [file]) => {
      const schema = ctx.opts.ledgerSchema ?? ctx.config.ledgerSchema ?? 'tidemark';
      const db = new Db(await ctx.databaseUrl(), { applicationName: 'tidemark:status', max: 2 });
      try {
        return file ? await onePlan(ctx, db, schema, file) : await allPlans(ctx, db, schema);
      } finally {
        await db.close();
      }
    }));
}
