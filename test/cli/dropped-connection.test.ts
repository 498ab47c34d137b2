/**
 * A dropped connection at each kind of statement ends in the one error boundary: exit 1, a failure
 * line (a `result` line with --json), no raw Node stack, the run recorded failed; a rerun without the
 * fault finishes with every row written exactly once (a non-idempotent `n = n + 1`). The built CLI
 * runs through a fault-injecting TCP proxy (test/helpers/fault-proxy.ts). Needs `npm run build`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { type CutWhen, type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { cli } from '../helpers/run.js';

const ROWS = 2000;
let url: string;
let proxy: FaultProxy;

beforeAll(async () => {
  url = await createTestDatabase('cli_dropped_connection');
  proxy = await startFaultProxy(url);
});
afterAll(async () => {
  await proxy?.close();
});

interface Case {
  kind: string;
  marker: string;
  nth?: number;
  when?: CutWhen;
  /** The cut lands before the run is recorded: there is no run to mark failed. */
  beforeRun?: boolean;
}

const CASES: Case[] = [
  { kind: 'the next-range lookup of a backfill', marker: 'OFFSET $', nth: 4 },
  { kind: 'a batch UPDATE', marker: 'SET "n" = (', nth: 3 },
  { kind: "a batch's COMMIT, after it committed", marker: 'COMMIT', nth: 12, when: 'after' },
  { kind: 'the ledger write of a batch', marker: '.batches (plan_id', nth: 2 },
  { kind: 'the ledger write that starts a step', marker: "SET status = 'running'", nth: 2 },
  { kind: 'the ledger write that records the run', marker: '.runs (plan_id', beforeRun: true },
  { kind: 'DDL (CREATE INDEX CONCURRENTLY)', marker: 'CREATE INDEX CONCURRENTLY' },
  { kind: 'DDL, after the server ran it', marker: 'CREATE INDEX CONCURRENTLY', when: 'after' },
  // A check that could not run fails the proof (exit 1); its result line names the lost connection.
  { kind: 'a check', marker: 'FILTER (WHERE' },
];

const STACK = /\n\s+at .+:\d+:\d+/;
/** Two CLI runs (the cut one and the rerun) per test: generous on a loaded machine. */
const TIMEOUT_MS = 180_000;

async function setup(table: string, planId: string): Promise<string> {
  await query(url, `CREATE TABLE ${table} (id int PRIMARY KEY, n int NOT NULL DEFAULT 0)`);
  await query(url, `INSERT INTO ${table} (id) SELECT g FROM generate_series(1, ${ROWS}) g`);
  return writePlan(
    tempDir(),
    `{ id: '${planId}',
      expand: [op.createIndex({ id: 'idx', table: '${table}', columns: ['n'] })],
      backfill: [backfill.update({ id: 'bump', table: '${table}', set: { n: 'n + 1' }, batch: { size: 200 } })],
      validate: [check.noNulls({ id: 'nn', table: '${table}', column: 'n' })] }`,
  );
}

async function assertRepaired(table: string, planId: string, file: string): Promise<void> {
  const again = await cli(['run', file, '--database-url', url]);
  expect(again.code, again.stderr).toBe(0);
  expect(await query(url, `SELECT n, count(*)::int AS c FROM ${table} GROUP BY n`)).toEqual([{ n: 1, c: ROWS }]);
  expect(
    await query(
      url,
      `SELECT i.indisvalid AS valid FROM pg_index i WHERE i.indrelid = '${table}'::regclass AND NOT i.indisprimary`,
    ),
  ).toEqual([{ valid: true }]);
  const steps = await query<{ status: string }>(url, `SELECT status FROM tidemark.steps WHERE plan_id = $1`, [planId]);
  expect(steps.map((s) => s.status)).toEqual(['completed', 'completed', 'completed']);
}

describe('a dropped connection ends in the error boundary; a rerun repairs it', () => {
  CASES.forEach((c, i) => {
    it(
      `at ${c.kind}: exit 1 with a result line, no stack, run failed; rerun writes every row once`,
      async () => {
        const table = `px_${i}`;
        const planId = `px-${i}`;
        const file = await setup(table, planId);
        const before = proxy.cuts;
        proxy.arm(c.marker, { nth: c.nth, when: c.when });
        const r = await cli(['run', file, '--database-url', proxy.url, '--json']);
        expect(proxy.cuts - before, `the proxy cut on ${c.marker}`).toBe(1);
        expect(r.code, r.stdout + r.stderr).toBe(1);
        expect(r.stdout + r.stderr).not.toMatch(STACK);
        const lines = r.stdout.trim().split('\n');
        const last = JSON.parse(lines[lines.length - 1]);
        expect(last).toMatchObject({ type: 'result', status: 'failed', exitCode: 1 });
        // The step's (or the check's) failure names the lost connection.
        expect(r.stdout).toMatch(/Connection terminated|ECONNRESET/);
        const runs = await query<{ status: string }>(url, `SELECT status FROM tidemark.runs WHERE plan_id = $1`, [
          planId,
        ]).catch(() => []);
        expect(runs.map((x) => x.status)).toEqual(c.beforeRun ? [] : ['failed']);
        await assertRepaired(table, planId, file);
      },
      TIMEOUT_MS,
    );
  });

  it(
    'regression: a dropped connection during the next-range lookup prints a failure line, not a Node stack',
    async () => {
      const table = 'px_plain';
      const planId = 'px-plain';
      const file = await setup(table, planId);
      proxy.arm('OFFSET $', { nth: 3 });
      const r = await cli(['run', file, '--database-url', proxy.url]);
      expect(r.code).toBe(1);
      expect(r.stderr).not.toMatch(STACK);
      expect(r.stderr).toMatch(
        /✗ failed: step "bump" \(backfill\.update\) failed: .*(Connection terminated|ECONNRESET)/,
      );
      expect(
        (await query<{ status: string }>(url, `SELECT status FROM tidemark.runs WHERE plan_id = $1`, [planId])).map(
          (x) => x.status,
        ),
      ).toEqual(['failed']);
      await assertRepaired(table, planId, file);
    },
    TIMEOUT_MS,
  );

  it(
    'an unhandled rejection (a bug) still ends as a failure line and exit 1, not a stack',
    async () => {
      // The plan module leaves a rejected promise behind while the run sleeps in a statement.
      const file = writePlan(
        tempDir(),
        `(setTimeout(() => { Promise.reject(new Error('stray rejection')); }, 500), {
        id: 'px-stray', expand: [sql({ id: 'nap', transaction: false, up: 'SELECT pg_sleep(3)' })] })`,
      );
      for (const json of [false, true]) {
        const r = await cli(['run', file, '--database-url', url, ...(json ? ['--json'] : [])]);
        expect(r.code).toBe(1);
        expect(r.stdout + r.stderr).not.toMatch(STACK);
        if (json) {
          const lines = r.stdout.trim().split('\n');
          expect(JSON.parse(lines[lines.length - 1])).toMatchObject({
            type: 'error',
            message: 'unexpected failure: stray rejection',
            exitCode: 1,
          });
        } else expect(r.stderr).toContain('error: unexpected failure: stray rejection');
      }
    },
    TIMEOUT_MS,
  );
});
