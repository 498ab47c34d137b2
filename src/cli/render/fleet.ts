/**
 * The fleet's renderers (docs/fleet.md): progress while a fleet works (on a TTY one bar for the
 * fleet plus one per running target, as the run renderer draws a step's bar; in CI a line when a
 * target changes state; with --json one NDJSON event per change), and the lines that end
 * `fleet run` and make `fleet status`: one per target, failures with their error and the failing
 * checks' samples.
 */
import cliProgress from 'cli-progress';
import pc from 'picocolors';
import { checkLines } from '../../checks/proof-format.js';
import type { TargetRow } from '../../fleet/coordinator.js';
import type { TargetOutcome } from '../../fleet/outcome.js';
import type { FleetSnapshot } from '../../fleet/run.js';
import type { CheckOutcome } from '../../kind/events.js';
import { redactedJson, redactText } from '../../sql/redact.js';
import type { Renderer } from './renderer.js';

const MARK: Record<string, string> = {
  completed: '✓',
  failed: '✗',
  gate: '⏸',
  running: '…',
  queued: '·',
  'not started': '-',
};

const fmtMs = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);
const fmtN = (n: number) => n.toLocaleString('en-US');

/** Progress of a fleet: a sink of snapshots and a close. */
export function fleetProgress(r: Renderer, out: (s: string) => void = (s) => process.stdout.write(`${s}\n`)) {
  const c = pc.createColors(r.color);
  const seen = new Map<string, string>();
  let multi: cliProgress.MultiBar | undefined;
  let fleetBar: cliProgress.SingleBar | undefined;
  const bars = new Map<string, cliProgress.SingleBar>();
  const close = () => {
    multi?.stop();
    multi = undefined;
    fleetBar = undefined;
    bars.clear();
  };
  const sink = (e: FleetSnapshot) => {
    const total = e.targets.length;
    const ended = e.targets.filter((t) => !['queued', 'running'].includes(t.state)).length;
    if (r.mode === 'tty') {
      multi ??= new cliProgress.MultiBar(
        { format: '{label} {bar} {value}/{total} {tail}', hideCursor: true, clearOnComplete: true, barsize: 24 },
        cliProgress.Presets.shades_classic,
      );
      fleetBar ??= multi.create(total, ended, { label: 'fleet'.padEnd(16), tail: '' });
      const failed = e.targets.filter((t) => t.state === 'failed').length;
      fleetBar.update(ended, { tail: failed ? c.red(`${failed} failed`) : '' });
      const running = new Set(e.targets.filter((t) => t.state === 'running').map((t) => t.name));
      for (const [name, bar] of bars)
        if (!running.has(name)) {
          multi.remove(bar);
          bars.delete(name);
        }
      for (const t of e.targets) {
        if (t.state !== 'running') continue;
        const tail = redactText([t.phase, t.step, t.rows ? `${fmtN(t.rows)} rows` : ''].filter(Boolean).join(' · '));
        let bar = bars.get(t.name);
        if (!bar) {
          bar = multi.create(1, 0, { label: `  ${t.name}`.slice(0, 16).padEnd(16), tail });
          bars.set(t.name, bar);
        }
        bar.update(0, { tail });
      }
      return;
    }
    for (const t of e.targets) {
      const key = `${t.state}|${t.runner ?? ''}`;
      if (seen.get(t.name) === key) continue;
      const first = !seen.has(t.name);
      seen.set(t.name, key);
      if (first && t.state === 'queued') continue;
      if (r.mode === 'json') {
        out(
          redactedJson({
            type: 'fleet.target',
            fleetRun: e.run.id,
            target: t.name,
            state: t.state,
            runner: t.runner,
            error: t.error,
          }),
        );
      } else if (t.state === 'running') {
        r.info(c.dim(`→ ${t.name} running (${t.runner ?? '?'})  [${ended}/${total}]`));
      } else if (!(first && t.earlier)) {
        r.info(`${MARK[t.state] ?? '?'} ${t.name} ${t.state}${t.error ? `: ${t.error}` : ''}  [${ended}/${total}]`);
      }
    }
  };
  return { sink, close };
}

/** One line per target (and, under a failure, its error, hint and failing checks with samples). */
export function targetLines(targets: readonly TargetRow[], color: boolean, detail = true): string[] {
  const c = pc.createColors(color);
  const width = Math.max(6, ...targets.map((t) => t.name.length));
  const lines: string[] = [];
  for (const t of targets) {
    const o = t.result as TargetOutcome | null;
    const paint =
      t.state === 'completed' ? c.green : t.state === 'failed' ? c.red : t.state === 'gate' ? c.yellow : c.dim;
    const facts = [
      t.state === 'running' ? [t.phase, t.step].filter(Boolean).join(' / ') : '',
      t.rows ? `${fmtN(t.rows)} rows` : '',
      o && t.state !== 'running' ? fmtMs(o.durationMs) : '',
      t.earlier ? 'completed in an earlier fleet run' : o?.status === 'nothing' ? 'nothing to do' : '',
      t.runner && !t.earlier ? `by ${t.runner}` : '',
    ].filter(Boolean);
    lines.push(
      redactText(
        `${paint(MARK[t.state] ?? '?')} ${t.name.padEnd(width)}  ${paint(t.state.padEnd(11))}${facts.length ? `  ${c.dim(facts.join(' · '))}` : ''}`,
      ),
    );
    if (t.error) lines.push(redactText(`    ${paint('error:')} ${t.error}`));
    if (!detail || !o) continue;
    if (o.hint && t.state !== 'completed') lines.push(redactText(`    ${c.dim('next:')} ${o.hint}`));
    for (const chk of o.failedChecks ?? [])
      for (const l of checkLines(chk as CheckOutcome, chk.stepId.length, { color })) lines.push(redactText(`    ${l}`));
  }
  return lines;
}

/** The closing count line: `12 targets: 11 completed, 1 failed`. */
export function countLine(targets: readonly TargetRow[]): string {
  const counts = new Map<string, number>();
  for (const t of targets) counts.set(t.state, (counts.get(t.state) ?? 0) + 1);
  const order = ['completed', 'failed', 'gate', 'not started', 'running', 'queued'];
  const parts = order.filter((s) => counts.has(s)).map((s) => `${counts.get(s)} ${s === 'gate' ? 'at a gate' : s}`);
  return `${targets.length} target${targets.length === 1 ? '' : 's'}: ${parts.join(', ')}`;
}
