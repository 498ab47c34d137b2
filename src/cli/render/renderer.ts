/**
 * Renderers: the CLI's subscribers to core events. `tty` draws progress bars and colour, `plain`
 * prints one line per event (CI logs), `json` prints NDJSON only (every event, then the result).
 */
import cliProgress from 'cli-progress';
import pc from 'picocolors';
import { checkLines, verdictLine } from '../../checks/proof-format.js';
import type { CheckOutcome, EventSink, TidemarkEvent } from '../../kind/events.js';
import { describeBlocker, type TidemarkError } from '../../model/errors.js';
import type { RunResult } from '../../runner/result.js';
import { redactedJson, redactText } from '../../sql/redact.js';

export interface RendererOptions {
  mode: 'tty' | 'plain' | 'json';
  color: boolean;
  quiet: boolean;
  out?: (s: string) => void;
  err?: (s: string) => void;
}

export interface Renderer {
  mode: RendererOptions['mode'];
  color: boolean;
  sink: EventSink;
  /** A line for humans on stdout (not in json mode, not when quiet). */
  info(line: string): void;
  /** Text that is the command's output (tables, SQL): stdout in tty/plain; ignored in json mode. */
  print(text: string): void;
  /** A JSON document (json mode only). */
  json(obj: unknown): void;
  /** The final result of a run-like command. */
  result(r: RunResult): void;
  /** An error that ended the command. */
  error(e: TidemarkError | Error): void;
  close(): void;
}

/** Check ids are padded to this width (or the plan's longest) so the marks of a proof line up. */
const ID_WIDTH = 24;

const fmtMs = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);
const fmtN = (n: number) => n.toLocaleString('en-US');

/** What a step picked up again is doing, from how an earlier run left it (docs/cli.md). */
const again = (previous: 'running' | 'interrupted' | 'failed' | 'rolled_back' | undefined): string =>
  previous === 'interrupted'
    ? 'resuming (an earlier run was interrupted during it)'
    : previous === 'rolled_back'
      ? 're-applying (was rolled back)'
      : previous === 'failed'
        ? 'retrying (failed in an earlier run)'
        : previous === 'running'
          ? 'resuming (an earlier run stopped during it)'
          : '';

export function createRenderer(o: RendererOptions): Renderer {
  const out = o.out ?? ((s: string) => process.stdout.write(`${s}\n`));
  const err = o.err ?? ((s: string) => process.stderr.write(`${s}\n`));
  const c = o.color ? pc : pc.createColors(false);
  let bar: cliProgress.SingleBar | undefined;
  let barStep: string | undefined;
  let lastPlainProgress = 0;
  /** Results of the proof being printed, for its verdict line. */
  let proof: CheckOutcome[] = [];
  let idWidth = ID_WIDTH;
  const stopBar = () => {
    if (bar) {
      bar.stop();
      bar = undefined;
      barStep = undefined;
    }
  };
  const line = (s: string) => {
    stopBar();
    out(redactText(s));
  };
  const human = (s: string) => {
    if (!o.quiet) line(s);
  };

  const onEvent = (e: TidemarkEvent): void => {
    switch (e.type) {
      case 'run.start':
        idWidth = e.checkIdWidth ?? ID_WIDTH;
        human(
          c.bold(
            `${e.dryRun ? 'DRY RUN — nothing will be written. ' : ''}${e.command} plan "${e.planId}"${e.title !== e.planId ? ` — ${e.title}` : ''}`,
          ) + c.dim(`  (${e.database})`),
        );
        break;
      case 'run.waiting':
        human(
          c.yellow(
            `⏳ waiting for plan "${e.planId}"'s run lock (${Math.round(e.waitedMs / 1000)} s of ${e.waitSeconds} s): held by ${e.holder}`,
          ),
        );
        break;
      case 'ledger.installed':
        human(
          c.dim(`ledger: schema "${e.schema}" ${e.from === 0 ? 'installed' : `upgraded from v${e.from}`} (v${e.to})`),
        );
        break;
      case 'phase.start':
        human(c.cyan(`── ${e.phase} ──`));
        break;
      case 'phase.end':
        break;
      case 'step.start':
        human(`→ ${e.stepId} ${c.dim(`(${e.kind})`)}${again(e.previous) ? c.yellow(` ${again(e.previous)}`) : ''}`);
        break;
      case 'step.statement':
        if (!o.quiet && e.count > 1)
          line(c.dim(`   statement ${e.index + 1}/${e.count}: ${e.sql.replace(/\s+/g, ' ').slice(0, 80)}`));
        break;
      case 'step.progress': {
        if (o.quiet) break;
        const pct = e.total ? Math.min(100, (e.done / e.total) * 100) : null;
        const tail = [
          e.rate ? `${fmtN(Math.round(e.rate))} rows/s` : '',
          e.etaSeconds != null ? `ETA ${Math.ceil(e.etaSeconds)} s` : '',
          e.batchSize ? `batch ${fmtN(e.batchSize)}` : '',
          e.note ?? '',
        ]
          .filter(Boolean)
          .join(' · ');
        if (o.mode === 'tty' && e.total) {
          if (!bar || barStep !== e.stepId) {
            stopBar();
            bar = new cliProgress.SingleBar(
              {
                format: `   {bar} {percentage}% | {value}/{total} ${e.unit ?? 'rows'} | {tail}`,
                hideCursor: true,
                clearOnComplete: false,
                barsize: 30,
              },
              cliProgress.Presets.shades_classic,
            );
            bar.start(e.total, e.done, { tail });
            barStep = e.stepId;
          } else {
            bar.setTotal(Math.max(e.total, e.done));
            bar.update(e.done, { tail });
          }
        } else if (Date.now() - lastPlainProgress > 2000 || (e.total && e.done >= e.total)) {
          lastPlainProgress = Date.now();
          line(
            `   ${e.stepId}: ${fmtN(e.done)}${e.total ? ` / ${fmtN(e.total)} ${e.unit ?? 'rows'} (${pct!.toFixed(0)}%)` : ` ${e.unit ?? 'rows'}`}${tail ? ` · ${tail}` : ''}`,
          );
        }
        break;
      }
      case 'step.done':
        human(
          `${c.green('✓')} ${e.stepId} ${c.dim(`${fmtMs(e.durationMs)}${e.rowsAffected != null ? `, ${fmtN(e.rowsAffected)} rows` : ''}`)}${e.notes?.length ? c.dim(` — ${e.notes.join('; ')}`) : ''}`,
        );
        break;
      case 'step.skip':
        if (!o.quiet) line(c.dim(`· ${e.stepId}: ${e.reason}`));
        break;
      case 'step.failed':
        line(`${c.red('✗')} ${e.stepId}: ${e.error}`);
        break;
      case 'step.dry-run':
        human(`• ${e.stepId} ${c.dim(`(${e.kind}, ${e.phase})`)}`);
        for (const l of e.lines) human(`    ${l.replace(/\n/g, '\n    ')}`);
        break;
      case 'lock.retry':
        human(
          c.yellow(
            `   ⏳ lock busy (attempt ${e.attempt}), retrying in ${fmtMs(e.delayMs)}${e.blockers.length ? ` — blocked by ${e.blockers.map(describeBlocker).join('; ')}` : ''}`,
          ),
        );
        break;
      case 'lock.waiting':
        human(
          c.yellow(`   ⏳ ${e.what}: waiting ${fmtMs(e.waitedMs)} for ${e.blockers.map(describeBlocker).join('; ')}`),
        );
        break;
      case 'check.result':
        proof.push(e.result);
        // Proof lines begin with the check's id at column 0 (docs/cli.md); samples stay indented under their line.
        if (!o.quiet || e.result.status === 'fail') {
          for (const l of checkLines(e.result, Math.max(idWidth, e.result.stepId.length), { color: o.color })) line(l);
        }
        break;
      case 'proof.end': {
        const verdict = `${e.phase === 'preconditions' ? 'preconditions: ' : ''}${verdictLine(proof, { color: o.color })}`;
        proof = [];
        if (e.passed) human(verdict);
        else line(verdict);
        break;
      }
      case 'gate.closed':
        line(c.yellow(`⛔ gate "${e.stepId}" is closed: ${e.reason}`));
        line(`   to open it: ${e.opensWhen}`);
        break;
      case 'gate.open':
        human(`${c.green('✓')} gate "${e.stepId}" open: ${e.reason}`);
        break;
      case 'rollback.step':
        human(
          `${e.action === 'undone' ? c.green('↩') : c.dim('·')} ${e.stepId}${e.action === 'undone' ? ' undone' : ''}${e.note ? c.dim(` — ${e.note}`) : ''}`,
        );
        break;
      case 'notice':
        if (e.level === 'warn') line(c.yellow(`⚠ ${e.message}`));
        else human(c.dim(`ℹ ${e.message}`));
        break;
      case 'run.end':
        stopBar();
        break;
    }
  };

  return {
    mode: o.mode,
    color: o.color,
    sink: o.mode === 'json' ? (e) => out(redactedJson(e)) : onEvent,
    info: (s) => (o.mode === 'json' ? undefined : human(s)),
    print: (s) => (o.mode === 'json' ? undefined : line(s)),
    json: (obj) => (o.mode === 'json' ? out(redactedJson(obj)) : undefined),
    result(r) {
      if (o.mode === 'json') {
        const { error: _e, ...rest } = r;
        out(redactedJson({ type: 'result', ...rest }));
        return;
      }
      stopBar();
      if (r.status === 'interrupted') {
        // Ctrl-C is not a failure: say where it stopped and that a rerun resumes (docs/cli.md).
        err(
          redactText(
            `${c.yellow(`⏹ ${r.message ?? 'interrupted'}`)} ${c.dim(`(${fmtMs(r.durationMs)}, exit ${r.exitCode})`)}`,
          ),
        );
        return;
      }
      const status =
        r.exitCode === 0
          ? c.green(`✔ ${r.status === 'nothing' ? 'nothing to do: every step is applied' : 'done'}`)
          : r.exitCode === 5
            ? c.yellow('⏸ stopped at a gate')
            : c.red(`✗ ${r.status}`);
      const msg = r.message && !(r.exitCode === 0 && r.status === 'nothing') ? `: ${r.message}` : '';
      const text = `${status}${msg} ${c.dim(`(${fmtMs(r.durationMs)}, exit ${r.exitCode})`)}`;
      if (r.exitCode === 0) human(text);
      else err(redactText(text));
      if (r.hint && r.exitCode !== 0) err(redactText(`  ${c.dim('next:')} ${r.hint}`));
    },
    error(e) {
      stopBar();
      const hint = (e as TidemarkError).hint;
      if (o.mode === 'json') {
        out(
          redactedJson({
            type: 'error',
            code: (e as TidemarkError).code ?? 'error',
            message: e.message,
            hint,
            exitCode: (e as TidemarkError).exitCode ?? 1,
          }),
        );
        return;
      }
      err(redactText(`${c.red('error:')} ${e.message}`));
      if (hint) err(redactText(`  ${c.dim('next:')} ${hint}`));
    },
    close: stopBar,
  };
}
