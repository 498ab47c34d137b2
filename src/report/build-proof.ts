/**
 * The proof and the gates of a report: the latest result of every check (actual vs expected,
 * samples, distributions), the latest validate phase, and every gate's latest verdict with the
 * approvals and flags behind it.
 */
import { isCouldNotRun } from '../checks/could-not-run.js';
import type { Ledger } from '../ledger/ledger.js';
import { type LedgerSnapshot, readFlags } from '../ledger/reads.js';
import type { Plan } from '../model/plan.js';
import { categoryOfKind, orderedSteps } from './build-steps.js';
import { isoOf } from './format.js';
import type { ReportCheck, ReportModel } from './model.js';

const num = (v: unknown) => (v == null ? null : Number(v));

/** Every check of the plan (or the ledger), with its latest result. */
export function buildProof(snap: LedgerSnapshot, plan: Plan | undefined): ReportModel['proof'] {
  const checks: ReportCheck[] = [];
  for (const { id, planned, state } of orderedSteps(plan, snap.steps)) {
    const kind = planned?.kind ?? state?.kind ?? '';
    if (categoryOfKind(kind) !== 'check') continue;
    const r = snap.checks.find((c) => c.step_id === id);
    const severity =
      (planned?.options as { severity?: 'error' | 'warn' } | undefined)?.severity ??
      (r?.severity as 'error' | 'warn' | undefined) ??
      'error';
    const stored = (r?.sample as unknown[] | null) ?? [];
    const isDistribution = kind === 'check.distribution';
    // A check that could not run is a failure (a warning under severity 'warn') flagged `error`;
    // rows written before that (status 'error') read the same way.
    const error = !!r && isCouldNotRun(r.status, r.message);
    const status: ReportCheck['status'] = !r
      ? 'not_run'
      : r.status === 'error'
        ? severity === 'warn'
          ? 'warn'
          : 'fail'
        : (r.status as ReportCheck['status']);
    checks.push({
      stepId: id,
      phase: planned?.phase ?? state?.phase ?? 'validate',
      kind,
      title: planned?.title ?? state?.title ?? id,
      status,
      error,
      severity,
      actual: r?.actual ?? null,
      expected: r?.expected ?? null,
      sample: isDistribution ? [] : stored,
      distribution:
        isDistribution && r
          ? (stored as { value: unknown; count: number }[]).map((d) => ({
              value: d.value ?? null,
              count: Number(d.count),
            }))
          : null,
      message: (r?.message as string | null) ?? null,
      at: isoOf(r?.at),
      runId: num(r?.run_id),
      durationMs: r?.duration_ms == null ? null : Math.round(Number(r.duration_ms) * 10) / 10,
      current: !r || !planned ? true : r.step_checksum === planned.checksum,
    });
  }
  const count = (s: ReportCheck['status']) => checks.filter((c) => c.status === s).length;
  const v = snap.validation;
  return {
    passed: v ? v.passed : null,
    validatedAt: isoOf(v?.at),
    failedChecks: v?.failed_checks ?? [],
    counts: {
      pass: count('pass'),
      fail: count('fail'),
      warn: count('warn'),
      superseded: count('superseded'),
      notRun: count('not_run'),
      couldNotRun: checks.filter((c) => c.error).length,
    },
    checks,
  };
}

/** What a gate waits for, from its options. */
function conditionOf(kind: string, o: Record<string, unknown> | undefined): string | null {
  if (!o) return null;
  switch (kind) {
    case 'gate.flag':
      return `flag "${String(o.flag)}" is on`;
    case 'gate.approval':
      return `a run with --approve ${String(o.id)}`;
    case 'gate.window': {
      const b = o.between as [string, string] | undefined;
      return b ? `between ${b[0]} and ${b[1]}${o.timezone ? ` (${String(o.timezone)})` : ' (server time zone)'}` : null;
    }
    case 'gate.command':
      return `\`${String(o.command)}\` exits 0`;
    default:
      return null;
  }
}

/** Every gate with its latest verdict, the plan's approvals, and the flags its gates read. */
export async function buildGates(
  l: Ledger,
  snap: LedgerSnapshot,
  plan: Plan | undefined,
): Promise<ReportModel['gates']> {
  const results: ReportModel['gates']['results'] = [];
  const flagNames: string[] = [];
  for (const { id, planned, state } of orderedSteps(plan, snap.steps)) {
    const kind = planned?.kind ?? state?.kind ?? '';
    if (categoryOfKind(kind) !== 'gate') continue;
    const o = planned?.options as Record<string, unknown> | undefined;
    if (kind === 'gate.flag' && typeof o?.flag === 'string' && !flagNames.includes(o.flag)) flagNames.push(o.flag);
    const g = snap.gates.find((x) => x.step_id === id);
    results.push({
      stepId: id,
      kind,
      phase: planned?.phase ?? state?.phase ?? 'contract',
      state: g ? (g.open ? 'open' : 'closed') : 'not_reached',
      reason: (g?.reason as string | null) ?? null,
      at: isoOf(g?.at),
      runId: num(g?.run_id),
      detail: g?.detail ?? null,
      condition: conditionOf(kind, o),
    });
  }
  const flags = await readFlags(l, flagNames);
  return {
    results,
    approvals: snap.approvals.map((a) => ({
      gateId: a.gate_id as string,
      approvedBy: a.approved_by as string,
      at: isoOf(a.at)!,
      runId: num(a.run_id),
    })),
    flags: flags.map((f) => ({
      ...f,
      setAt: isoOf(f.setAt),
      history: f.history.map((h) => ({ ...h, at: isoOf(h.at)! })),
    })),
  };
}
