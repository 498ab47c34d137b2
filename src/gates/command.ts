/**
 * `gate.command({ id, command, cwd?, timeoutMs? })` — open when the command exits 0 (e.g.
 * `npm run typecheck`, a smoke test against staging). It runs with a shell in the plan's directory
 * (or `cwd`, relative to it), bounded by `timeoutMs` (default 10 minutes; the whole process group is
 * killed on timeout). The last ~4 KB of its output (stdout and stderr, interleaved, passwords
 * removed) are kept in the gate's detail, so a closed gate shows why. See docs/gates/command.md.
 */
import { spawn } from 'node:child_process';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { common } from '../kind/fields.js';
import type { GateKind, GateResult } from '../kind/step-kind.js';
import { redactText } from '../sql/redact.js';

/** The options of `gate.command`, as a plan writes them (zod). */
export const schema = z
  .object({
    ...common,
    command: z.string().min(1),
    cwd: z.string().min(1).optional(),
    timeoutMs: z.number().int().positive().optional(),
  })
  .strict();

/** Validated options of `gate.command`. */
export type Options = z.infer<typeof schema>;
/** Options of `gate.command` as the builder accepts them. */
export type Input = z.input<typeof schema>;

/** Default bound on the command's run time. */
export const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;
/** How much of the output's end is kept. */
export const TAIL_BYTES = 4096;

/** What running the command gave. */
export interface CommandRun {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  /** The last {@link TAIL_BYTES} of the output, passwords removed. */
  tail: string;
  /** The command could not start (e.g. the directory does not exist). */
  error?: string;
}

/** Run `command` with a shell in `cwd`, keeping the tail of its output. Never throws. */
export function runCommand(command: string, cwd: string, timeoutMs: number): Promise<CommandRun> {
  return new Promise((done) => {
    const t0 = performance.now();
    let buf = Buffer.alloc(0);
    let cut = false;
    const keep = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length > TAIL_BYTES * 2) {
        buf = buf.subarray(buf.length - TAIL_BYTES);
        cut = true;
      }
    };
    let timedOut = false;
    let settled = false;
    const finish = (r: Omit<CommandRun, 'durationMs' | 'tail' | 'timedOut'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      let text = buf.subarray(Math.max(0, buf.length - TAIL_BYTES)).toString('utf8');
      if (cut || buf.length > TAIL_BYTES) text = text.replace(/^[^\n]*\n/, '… ');
      done({ ...r, timedOut, durationMs: performance.now() - t0, tail: redactText(text) });
    };
    const child = spawn(command, {
      cwd,
      shell: true,
      detached: process.platform !== 'win32',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid && process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }, timeoutMs);
    child.on('error', (e) => finish({ exitCode: null, signal: null, error: e.message }));
    child.on('close', (code, signal) => finish({ exitCode: code, signal }));
  });
}

/** `10 min`, `90 s`, `1500 ms`. */
function duration(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}

/** The `gate.command` kind. */
export const kind = {
  kind: 'gate.command',
  category: 'gate',
  schema,
  async describe(_ctx, o) {
    const where = o.cwd ? `in ${o.cwd}` : "in the plan's directory";
    return {
      actions: [],
      notes: [`command: ${o.command} (${where}; must exit 0 within ${duration(o.timeoutMs ?? DEFAULT_TIMEOUT_MS)})`],
    };
  },
  async evaluate(ctx, o): Promise<GateResult> {
    const cwd = o.cwd ? (isAbsolute(o.cwd) ? o.cwd : resolve(ctx.plan.dir, o.cwd)) : ctx.plan.dir;
    const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const r = await runCommand(o.command, cwd, timeoutMs);
    const detail = {
      command: o.command,
      cwd,
      exitCode: r.exitCode,
      signal: r.signal,
      timedOut: r.timedOut,
      durationMs: Math.round(r.durationMs),
      outputTail: r.tail,
      ...(r.error ? { error: r.error } : {}),
    };
    if (r.exitCode === 0 && !r.timedOut)
      return { open: true, reason: `\`${o.command}\` exited 0`, opensWhen: `\`${o.command}\` exits 0`, detail };
    const why = r.error
      ? `could not start: ${r.error}`
      : r.timedOut
        ? `did not finish within ${timeoutMs} ms (killed)`
        : r.signal
          ? `was killed by ${r.signal}`
          : `exited with ${r.exitCode}`;
    const tail = r.tail.trim() ? `; last output:\n${r.tail.trimEnd().split('\n').slice(-20).join('\n')}` : '';
    return {
      open: false,
      reason: `\`${o.command}\` ${why}`,
      opensWhen: `\`${o.command}\` exits 0 (in ${cwd})${tail}`,
      detail,
    };
  },
} satisfies GateKind<Options>;
