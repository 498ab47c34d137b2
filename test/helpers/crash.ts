/**
 * A real crash for tests: the plan runs in a child process (test/backfill/child-run.mjs, over the
 * built `dist/`) that is killed with SIGKILL once the ledger shows the state the test wants to
 * interrupt, so nothing gets to clean up: no catch, no finally, no ROLLBACK sent.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TidemarkConfig } from '../../src/config/config.js';

const CHILD = fileURLToPath(new URL('../backfill/child-run.mjs', import.meta.url));

/**
 * Run `file` in a child process and kill -9 it as soon as `ready()` is true (polled every 20 ms).
 * Fails when the run ends on its own first: the test would not be testing a crash.
 */
export async function killWhen(
  file: string,
  databaseUrl: string,
  config: TidemarkConfig,
  ready: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const child = spawn(process.execPath, [CHILD, file, databaseUrl, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  child.stdout.on('data', (d) => out.push(String(d)));
  child.stderr.on('data', (d) => out.push(String(d)));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const started = Date.now();
  try {
    while (!(await ready().catch(() => false))) {
      if (child.exitCode !== null)
        throw new Error(`the run ended (exit ${child.exitCode}) before the kill:\n${out.join('')}`);
      if (Date.now() - started > timeoutMs)
        throw new Error(`timed out waiting for the moment to kill:\n${out.join('')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}
