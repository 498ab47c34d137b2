/**
 * `tidemark status` and `tidemark report` through the CLI: read-only (no ledger is ever created),
 * "no ledger in this database yet", every plan without an argument, one plan's steps with backfill
 * progress and last checks, NDJSON, and the report's formats, `--out`, bad input and never-run exits.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { reportFormat } from '../../src/cli/commands/report.js';
import type { UsageError } from '../../src/model/errors.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { cli, runFile } from '../helpers/run.js';

let url: string;
let dir: string;
let plan: string;

const ledgerExists = async (u: string) => (await query(u, `SELECT to_regnamespace('tidemark') AS n`))[0].n !== null;

beforeAll(async () => {
  url = await createTestDatabase('cli_status');
  dir = tempDir();
  plan = writePlan(
    dir,
    `{
    id: 'status-wave',
    title: 'Status wave',
    expand: [
      sql({ id: 'items', up: ["CREATE TABLE items (id int PRIMARY KEY, name text)", "INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 500) g"], down: 'DROP TABLE items' }),
      op.addColumn({ id: 'label', table: 'items', column: 'label', type: 'text' }),
    ],
    backfill: [backfill.update({ id: 'fill-label', table: 'items', set: { label: 'upper(name)' }, where: 'label IS NULL' })],
    validate: [check.noNulls({ id: 'label-filled', table: 'items', column: 'label' })],
    contract: [gate.approval({ id: 'go' }), op.setNotNull({ id: 'label-not-null', table: 'items', column: 'label' })],
  }`,
  );
});

describe('tidemark status', () => {
  it('says there is no ledger yet, and creates none', async () => {
    const all = await cli(['status', '--database-url', url]);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toContain('no ledger in this database yet');
    const one = await cli(['status', plan, '--database-url', url]);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toContain('plan "status-wave" has never run here');
    expect(one.stdout).toMatch(/fill-label\s+backfill\.update\s+pending/);
    expect(one.stdout).toContain('0 of 6 steps done');
    expect(await ledgerExists(url)).toBe(false);
  });

  it('report of a plan that never ran: exit 1, says so, creates no ledger; a bad format is exit 2', async () => {
    const r = await cli(['report', plan, '--database-url', url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('has never run here, nothing to report');
    expect(await ledgerExists(url)).toBe(false);
    const bad = (() => {
      try {
        reportFormat('pdf', undefined);
      } catch (e) {
        return e as UsageError;
      }
    })();
    expect(bad?.exitCode).toBe(2);
    expect(bad?.message).toContain('--format "pdf": expected one of md, html, json');
    expect([
      reportFormat(undefined, 'x.HTML'),
      reportFormat(undefined, 'x.json'),
      reportFormat(undefined, undefined),
      reportFormat('markdown', 'x.html'),
    ]).toEqual(['html', 'json', 'md', 'md']);
  });

  it("after a run stopped at a gate: every plan, then the plan's steps with progress and checks", async () => {
    const run = await runFile(plan, { databaseUrl: url });
    expect(run.exitCode, run.message).toBe(5);
    const all = await cli(['status', '--database-url', url]);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/status-wave\s+waiting\s+4\/6\s+#1 run gate/);
    const one = await cli(['status', plan, '--database-url', url]);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toContain('plan "status-wave" — Status wave: waiting');
    expect(one.stdout).toContain('stopped at gate "go"');
    expect(one.stdout).toMatch(/fill-label\s+backfill\.update\s+completed\s+500\s+\S+ m?s\s+500 \/ 500 rows \(100%\)/);
    expect(one.stdout).toMatch(/label-filled\s+check\.noNulls\s+completed.*pass 0 \(expected 0\)/);
    expect(one.stdout).toMatch(/go\s+gate\.approval\s+pending.*closed: waiting for approval "go"/);
    expect(one.stdout).toMatch(/^proof: passed at .+ UTC on the plan as it is now$/m);
    const json = await cli(['status', plan, '--json', '--database-url', url]);
    const doc = JSON.parse(json.stdout.trim());
    expect(doc).toMatchObject({
      type: 'status',
      planId: 'status-wave',
      status: 'waiting',
      proof: { state: 'passed', failed: [], staleBecause: null },
    });
    expect(doc.steps.find((s: { stepId: string }) => s.stepId === 'fill-label').progress).toEqual({
      done: 500,
      total: 500,
      unit: 'rows',
    });
  });

  it('report: Markdown to stdout, --out writes the file (format from its extension) and prints its path', async () => {
    const md = await cli(['report', plan, '--database-url', url]);
    expect(md.code, md.stderr).toBe(0);
    expect(md.stdout).toContain('# Status wave — ⏸️ Stopped at a gate');
    expect(md.stdout).toContain('run again with `--approve go`');
    const out = join(dir, 'reports', 'wave.json');
    const js = await cli(['report', plan, '--out', out, '--database-url', url]);
    expect(js.code, js.stderr).toBe(0);
    expect(js.stdout.trim()).toBe(out);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc).toMatchObject({ format: 'tidemark-report', version: 2, status: { state: 'waiting' } });
    expect(doc.backfills[0]).toMatchObject({ stepId: 'fill-label', table: 'items', rows: 500 });
  });

  it('a --redo of the backfill makes the proof stale until the next run proves it again', async () => {
    const redo = await runFile(plan, { databaseUrl: url, redo: ['fill-label'], phase: 'backfill' });
    expect(redo.exitCode, redo.message).toBe(0);
    const one = await cli(['status', plan, '--database-url', url]);
    expect(one.stdout).toMatch(
      /^proof: stale — passed at .+ UTC, but step "fill-label" completed after it: the next run proves it again before the contract$/m,
    );
    const json = JSON.parse((await cli(['status', plan, '--json', '--database-url', url])).stdout.trim());
    expect(json.proof).toMatchObject({ state: 'stale', staleBecause: 'step "fill-label" completed after it' });
    const again = await runFile(plan, { databaseUrl: url, phase: 'validate' });
    expect(again.exitCode, again.message).toBe(0);
    expect((await cli(['status', plan, '--database-url', url])).stdout).toMatch(/^proof: passed at /m);
  });
});
