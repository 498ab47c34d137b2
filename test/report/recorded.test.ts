/**
 * The report shows what RAN: each step's statements as the ledger recorded them when they executed
 * (a plain CREATE INDEX on a then-empty new table stays plain after the table filled up), what a
 * step that failed half-way ran, "would run" only for steps that never ran, "not recorded" for steps
 * applied under a version-1 ledger (upgraded in place), and summary counts of what exists at the end
 * with each backfilled row counted once across a --redo.
 */

import { beforeAll, describe, expect, it } from 'vitest';
import { LEDGER_MIGRATIONS, LEDGER_VERSION } from '../../src/ledger/schema.js';
import { loadPlan } from '../../src/plan/load.js';
import { buildReport } from '../../src/report/build.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

const report = async (url: string, file: string, ledgerSchema?: string) =>
  buildReport({ databaseUrl: url, plan: await loadPlan(file), ledgerSchema });
const step = (m: Awaited<ReturnType<typeof buildReport>>, id: string) =>
  m.phases.flatMap((p) => p.steps).find((s) => s.id === id)!;

let url: string;
beforeAll(async () => {
  process.env.TIDEMARK_ACTOR = 'report-recorder';
  url = await createTestDatabase('report_recorded');
  await query(url, 'CREATE TABLE rec_accounts (id bigint PRIMARY KEY, email text)');
  await query(url, "INSERT INTO rec_accounts SELECT g, 'a' || g || '@example.com' FROM generate_series(1, 50) g");
});

describe('statements as they ran', () => {
  it('a plain CREATE INDEX on a new empty table and a CONCURRENTLY one on an existing table show as run; an unrun step as "would run"', async () => {
    const file = writePlan(
      tempDir(),
      `{
      id: 'rec-indexes',
      expand: [
        op.createTable({ id: 'events', table: 'rec_events', columns: { id: 'bigint', account_id: 'bigint' }, primaryKey: ['id'] }),
        op.createIndex({ id: 'events-account', table: 'rec_events', columns: ['account_id'] }),
        sql({ id: 'fill-events', up: 'INSERT INTO rec_events SELECT g, g % 7 FROM generate_series(1, 30) g', down: 'DELETE FROM rec_events' }),
        op.createIndex({ id: 'accounts-email', table: 'rec_accounts', columns: ['email'] }),
      ],
      contract: [op.dropIndex({ id: 'drop-events-account', name: 'rec_events_account_id_idx' })],
    }`,
    );
    const r = await runFile(file, { databaseUrl: url, to: 'accounts-email' });
    expect(r.exitCode, r.message).toBe(0);

    const m = await report(url, file);
    const plain = step(m, 'events-account');
    expect(plain.actionsSource).toBe('ran');
    expect(plain.actions).toHaveLength(1);
    expect(plain.actions[0].sql).toMatch(/^CREATE INDEX "rec_events_account_id_idx"/);
    expect(plain.actions[0]).toMatchObject({ lock: 'SHARE', transaction: true, state: 'ran' });
    expect(plain.actions[0].runId).toBe(r.runId);
    // Described today, the filled table would get CONCURRENTLY: the report must not say so.
    expect(plain.actions[0].sql).not.toContain('CONCURRENTLY');

    const conc = step(m, 'accounts-email');
    expect(
      conc.actions.map((a) => [
        a.sql.startsWith('CREATE INDEX CONCURRENTLY "rec_accounts_email_idx"'),
        a.lock,
        a.transaction,
        a.state,
      ]),
    ).toEqual([[true, 'SHARE UPDATE EXCLUSIVE', false, 'ran']]);

    const fill = step(m, 'fill-events');
    expect(fill.actions.map((a) => [a.sql, a.lock, a.transaction])).toEqual([
      ['INSERT INTO rec_events SELECT g, g % 7 FROM generate_series(1, 30) g', 'ROW EXCLUSIVE', true],
    ]);

    const pending = step(m, 'drop-events-account');
    expect(pending.status).toBe('pending');
    expect(pending.actionsSource).toBe('would run');
    expect(pending.actions.every((a) => a.state === null)).toBe(true);
    expect(pending.actions[0].sql).toContain('DROP INDEX CONCURRENTLY');

    const md = renderMarkdown(m);
    expect(md).toContain('**`events-account`** — 1 statement · locks: SHARE · as run');
    expect(md).toContain(
      '**`drop-events-account`** — 1 statement · locks: SHARE UPDATE EXCLUSIVE · 1 outside a transaction · would run (not run yet)',
    );
    expect(m.summary.indexesCreated).toEqual(['rec_events_account_id_idx', 'rec_accounts_email_idx']);

    // Without the plan file, the statements that ran are still there: they come from the ledger.
    const bare = await buildReport({ databaseUrl: url, planId: 'rec-indexes' });
    expect(step(bare, 'events-account').actions[0].sql).toMatch(/^CREATE INDEX "rec_events_account_id_idx"/);

    // The contract drops the index created in expand: the summary counts what exists at the end.
    const r2 = await runFile(file, { databaseUrl: url });
    expect(r2.exitCode, r2.message).toBe(0);
    const after = await report(url, file);
    expect(after.summary.indexesCreated).toEqual(['rec_accounts_email_idx']);
    expect(after.summary.createdThenDropped).toEqual(['index rec_events.rec_events_account_id_idx']);
    expect(after.summary.objectsDropped).toEqual([]);
    expect(step(after, 'drop-events-account').actions.map((a) => [a.state, a.runId])).toEqual([['ran', r2.runId]]);
    expect(renderMarkdown(after)).toContain(
      '- **Created, then dropped by a later step** (1): `index rec_events.rec_events_account_id_idx`',
    );
  });

  it('a step that failed half-way shows what ran and where it failed; the rerun that completes it adds its own statements', async () => {
    const file = writePlan(
      tempDir(),
      `{
      id: 'rec-failure',
      expand: [
        sql({ id: 'one-by-one', transaction: false, up: 'CREATE TABLE rec_f1 (id int); INSERT INTO rec_missing VALUES (1); CREATE TABLE rec_f2 (id int)' }),
      ],
    }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode).not.toBe(0);
    const m = await report(url, file);
    const s = step(m, 'one-by-one');
    expect(s.status).toBe('failed');
    expect(s.actionsSource).toBe('ran');
    expect(s.actions.map((a) => [a.sql, a.state])).toEqual([
      ['CREATE TABLE rec_f1 (id int)', 'ran'],
      ['INSERT INTO rec_missing VALUES (1)', 'failed'],
    ]);
    expect(renderMarkdown(m)).toContain(
      'INSERT INTO rec_missing VALUES (1);  -- lock: ROW EXCLUSIVE; failed: its transaction was rolled back',
    );

    await query(url, 'CREATE TABLE rec_missing (id int)');
    const r2 = await runFile(file, { databaseUrl: url });
    expect(r2.exitCode, r2.message).toBe(0);
    const done = step(await report(url, file), 'one-by-one');
    expect(done.actions.map((a) => [a.sql, a.state, a.runId])).toEqual([
      ['CREATE TABLE rec_f1 (id int)', 'ran', r.runId],
      ['INSERT INTO rec_missing VALUES (1)', 'failed', r.runId],
      ['INSERT INTO rec_missing VALUES (1)', 'ran', r2.runId],
      ['CREATE TABLE rec_f2 (id int)', 'ran', r2.runId],
    ]);
    expect(done.actionsNote).toContain('2 attempts');
  });

  it('a failed transactional step: every statement of its transaction is marked failed (rolled back)', async () => {
    const file = writePlan(
      tempDir(),
      `{
      id: 'rec-tx-failure',
      expand: [sql({ id: 'in-one-tx', up: 'CREATE TABLE rec_t1 (id int); INSERT INTO rec_nowhere VALUES (1)' })],
    }`,
    );
    expect((await runFile(file, { databaseUrl: url })).exitCode).not.toBe(0);
    const s = step(await report(url, file), 'in-one-tx');
    expect(s.actions.map((a) => [a.sql, a.state, a.transaction])).toEqual([
      ['CREATE TABLE rec_t1 (id int)', 'failed', true],
      ['INSERT INTO rec_nowhere VALUES (1)', 'failed', true],
    ]);
    expect(s.objects).toEqual([]);
  });
});

describe('backfill rows across --redo', () => {
  it('counts the current pass once and the redone pass apart', async () => {
    await query(url, 'CREATE TABLE rec_fill (id bigint PRIMARY KEY, v int)');
    await query(url, 'INSERT INTO rec_fill SELECT g, NULL FROM generate_series(1, 40) g');
    const file = writePlan(
      tempDir(),
      `{ id: 'rec-redo', backfill: [backfill.update({ id: 'fill-v', table: 'rec_fill', set: { v: 'id * 2' } })] }`,
    );
    expect((await runFile(file, { databaseUrl: url })).exitCode).toBe(0);
    const r2 = await runFile(file, { databaseUrl: url, redo: ['fill-v'] });
    expect(r2.exitCode, r2.message).toBe(0);
    const m = await report(url, file);
    const b = m.backfills.find((x) => x.stepId === 'fill-v')!;
    expect(b.rows).toBe(40);
    expect(b.earlierPasses).toMatchObject({ passes: 1, rows: 40 });
    expect(m.summary.rowsAffected).toBe(40);
    expect(renderMarkdown(m)).toContain(
      '- **Rows written**: 40 (backfills: 40; an earlier pass of 40 rows, redone or rolled back, not counted)',
    );
  });
});

describe('ledger version 1 → current', () => {
  it('upgrades in place on the next run, keeps old rows, and the report says "not recorded" for steps applied before', async () => {
    const schema = 'tm_v1';
    await query(url, `CREATE SCHEMA ${schema}`);
    await query(url, LEDGER_MIGRATIONS[0].replaceAll('{{schema}}', schema));
    await query(url, `INSERT INTO ${schema}.meta (key, value) VALUES ('version', '1')`);
    const file = writePlan(
      tempDir(),
      `{
      id: 'rec-v1',
      expand: [
        sql({ id: 'old-step', up: 'CREATE TABLE rec_v1_old (id int)', down: 'DROP TABLE rec_v1_old' }),
        sql({ id: 'new-step', up: 'CREATE TABLE rec_v1_new (id int)', down: 'DROP TABLE rec_v1_new' }),
      ],
    }`,
    );
    // An older Tidemark applied old-step: its rows exist, the statements were never recorded.
    const first = await runFile(file, { databaseUrl: url, ledgerSchema: schema, to: 'old-step' });
    expect(first.exitCode, first.message).toBe(0);
    expect(await query(url, `SELECT value FROM ${schema}.meta WHERE key = 'version'`)).toEqual([
      { value: String(LEDGER_VERSION) },
    ]);
    // Simulate v1: drop the v2 table and reset the version, as a v1 ledger with old-step applied would be.
    await query(url, `DROP TABLE ${schema}.step_statements`);
    await query(url, `UPDATE ${schema}.meta SET value = '1' WHERE key = 'version'`);
    const v1Report = await report(url, file, schema);
    expect(step(v1Report, 'old-step').actionsSource).toBe('not recorded');
    expect(step(v1Report, 'new-step').actionsSource).toBe('would run');

    const second = await runFile(file, { databaseUrl: url, ledgerSchema: schema });
    expect(second.exitCode, second.message).toBe(0);
    expect(await query(url, `SELECT value FROM ${schema}.meta WHERE key = 'version'`)).toEqual([
      { value: String(LEDGER_VERSION) },
    ]);
    expect(
      await query(
        url,
        `SELECT step_id, status, run_id::int FROM ${schema}.steps WHERE plan_id = 'rec-v1' ORDER BY position`,
      ),
    ).toEqual([
      { step_id: 'old-step', status: 'completed', run_id: first.runId },
      { step_id: 'new-step', status: 'completed', run_id: second.runId },
    ]);
    const m = await report(url, file, schema);
    const old = step(m, 'old-step');
    expect(old.actionsSource).toBe('not recorded');
    expect(old.actions).toEqual([]);
    expect(old.actionsNote).toMatch(/ledger version 1/);
    expect(step(m, 'new-step').actions.map((a) => a.sql)).toEqual(['CREATE TABLE rec_v1_new (id int)']);
    expect(m.summary.tablesCreated).toEqual(['rec_v1_new']);
    expect(renderMarkdown(m)).toContain(
      '**`old-step`** — not recorded: applied by a Tidemark that did not record statements (ledger version 1)',
    );
  });
});
