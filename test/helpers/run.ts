/**
 * Running plans through the library with events captured, and through the CLI as a child process.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TidemarkEvent } from '../../src/kind/events.js';
import { loadPlan } from '../../src/plan/load.js';
import type { RunResult } from '../../src/runner/result.js';
import { type RunOptions, runPlan } from '../../src/runner/run.js';

export const BIN = fileURLToPath(new URL('../../bin/tidemark.js', import.meta.url));

/** Load a plan file and run it, collecting events. */
export async function runFile(
  file: string,
  o: Omit<RunOptions, 'events'>,
): Promise<RunResult & { events: TidemarkEvent[] }> {
  const events: TidemarkEvent[] = [];
  const plan = await loadPlan(file);
  const r = await runPlan(plan, { ...o, events: (e) => events.push(e) });
  return { ...r, events };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the built CLI (`bin/tidemark.js`) with args; resolves when it exits. */
export function cli(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, NO_COLOR: '1', CI: '1', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
