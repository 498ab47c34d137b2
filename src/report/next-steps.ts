/**
 * "Next steps": what remains to do for a plan, in the order a reader should do it — a failed step
 * to fix, a closed gate to open, a failing proof, pending steps — read from the report model.
 */
import type { ReportModel } from './model.js';

/** What opens a closed gate, by kind. */
function opener(kind: string, condition: string | null, stepId: string): string {
  switch (kind) {
    case 'gate.approval':
      return `run again with \`--approve ${stepId}\``;
    case 'gate.flag':
      return condition
        ? `turn it on (\`npx tidemark flag set ${condition.replace(/^flag "(.*)" is on$/, '$1')} on\`), then run again`
        : 'turn its flag on, then run again';
    case 'gate.window':
      return `run again ${condition ?? 'inside its window'}`;
    case 'gate.command':
      return `make ${condition ?? 'its command exit 0'}, then run again`;
    default:
      return 'run again when it opens';
  }
}

/** Remaining work, derived from steps, proof and gates. */
export function nextSteps(
  m: Pick<ReportModel, 'phases' | 'proof' | 'gates' | 'impact' | 'status' | 'plan'>,
): ReportModel['next'] {
  const out: ReportModel['next'] = [];
  const steps = m.phases.flatMap((p) => p.steps);
  for (const s of steps.filter((x) => x.status === 'failed' && x.category !== 'check')) {
    out.push({
      stepId: s.id,
      text: `step \`${s.id}\` failed: ${(s.error ?? 'see the ledger').split('\n')[0]} — fix the cause and run again (completed steps are not repeated)`,
    });
  }
  const failing = m.proof.checks.filter((c) => c.status === 'fail');
  const broken = failing.filter((c) => c.error);
  const wrong = failing.filter((c) => !c.error);
  const ids = (cs: typeof failing) => cs.map((c) => `\`${c.stepId}\``).join(', ');
  if (broken.length)
    out.push({
      stepId: null,
      text: `${broken.length === 1 ? 'a check' : `${broken.length} checks`} could not run (${ids(broken)}): fix the check (its message says why — bad SQL, a missing table or column), then run again`,
    });
  if (wrong.length)
    out.push({
      stepId: null,
      text: `the proof fails (${ids(wrong)}): fix the data the samples name, then run again — the validate phase runs first and the contract phase waits for it`,
    });
  for (const g of m.gates.results.filter((x) => x.state === 'closed')) {
    out.push({
      stepId: g.stepId,
      text: `gate \`${g.stepId}\` is closed${g.reason ? ` (${g.reason})` : ''}: ${opener(g.kind, g.condition, g.stepId)}`,
    });
  }
  const pending =
    m.status.state === 'rolled_back'
      ? []
      : steps.filter((s) => s.status === 'pending' || s.status === 'running' || s.status === 'rolled_back');
  const byPhase = new Map<string, string[]>();
  for (const s of pending) byPhase.set(s.phase, [...(byPhase.get(s.phase) ?? []), s.id]);
  for (const [phase, ids] of byPhase) {
    out.push({
      stepId: null,
      text: `${ids.length} step(s) of the ${phase} phase still to run: ${ids
        .slice(0, 8)
        .map((i) => `\`${i}\``)
        .join(', ')}${ids.length > 8 ? ', …' : ''}`,
    });
  }
  const live = m.impact.syncTriggers.filter((t) => !t.removedAt);
  if (live.length && !out.length)
    out.push({
      stepId: null,
      text: `${live.length} sync trigger(s) still installed (${live.map((t) => `\`${t.trigger}\``).join(', ')}): the contract phase removes them`,
    });
  if (!out.length) {
    out.push({
      stepId: null,
      text:
        m.status.state === 'rolled_back'
          ? 'the plan is rolled back: nothing is applied'
          : 'nothing left to do: every step is applied and the proof holds',
    });
  }
  return out;
}
