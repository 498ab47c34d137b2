/**
 * Fused scans: the per-row checks of one table in an uninterrupted run of checks are computed in
 * ONE statement over the table, and give exactly the results they give evaluated one by one.
 */

import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fusedStatement } from '../../src/checks/fused.js';
import { DEFAULT_LOCK_POLICY } from '../../src/db/lock-policy.js';
import type { CheckOutcome } from '../../src/kind/events.js';
import type { CheckKind } from '../../src/kind/step-kind.js';
import type { Plan } from '../../src/model/plan.js';
import { check, definePlan, op, sql } from '../../src/plan/define.js';
import { stepKind } from '../../src/plan/registry.js';
import { validatePlan } from '../../src/plan/validate.js';
import type { Session } from '../../src/runner/context.js';
import { evaluateCheck, fusionGroup } from '../../src/runner/evaluate-check.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { Db, readCtx } from './context.js';

/** A Db that remembers the statements run through `rows()`. */
class SpyDb extends Db {
  log: string[] = [];
  override async rows<R extends pg.QueryResultRow = Record<string, unknown>>(
    text: string,
    params?: unknown[],
  ): Promise<R[]> {
    this.log.push(text);
    return super.rows<R>(text, params);
  }
}

let url: string;
let db: SpyDb;

beforeAll(async () => {
  url = await createTestDatabase('checks_fused');
  db = new SpyDb(url);
  await query(
    url,
    `
    CREATE TABLE "Message" (id int PRIMARY KEY, "orgId" text, intent text, "primaryIntent" text, "tokensIn" int, "tokensOut" int, "totalTokens" int, status text);
    INSERT INTO "Message" SELECT g, CASE WHEN g % 7 = 0 THEN NULL ELSE 'o' || (g % 3) END, 'i' || (g % 4),
      CASE WHEN g % 11 = 0 THEN 'x' ELSE 'i' || (g % 4) END, g, g * 2, CASE WHEN g % 13 = 0 THEN 0 ELSE g * 3 END,
      CASE WHEN g % 17 = 0 THEN 'weird' ELSE 'ok' END
      FROM generate_series(1, 500) g;
    CREATE TABLE other (id int PRIMARY KEY, v text);
    INSERT INTO other VALUES (1, NULL), (2, 'a');
  `,
  );
});
afterAll(() => db.close());

function session(plan: Plan, applied: string[] = []): Session {
  return {
    db,
    plan,
    ledgerSchema: 'tidemark',
    policy: DEFAULT_LOCK_POLICY,
    emit: () => undefined,
    appliedSteps: new Set(applied),
    fused: new Map(),
    settings: { backfillTargetMs: 200, shadowThresholdRows: 1_000_000, approvals: [], actor: 'tester' },
  };
}

const strip = (r: CheckOutcome) => ({ ...r, durationMs: undefined, what: undefined });

const validate = [
  check.noNulls({ id: 'org-set', table: 'Message', column: 'orgId' }),
  check.noNulls({ id: 'org-set-where', table: 'Message', column: 'orgId', where: 'id > 250' }),
  check.allowedValues({ id: 'status-ok', table: 'Message', column: 'status', values: ['ok'] }),
  check.allowedValues({ id: 'intent-ok', table: 'Message', column: 'intent', values: ['i0', 'i1', 'i2', 'i3'] }),
  check.columnsMatch({ id: 'primary-intent', table: 'Message', column: 'primaryIntent', equals: 'intent' }),
  check.columnsMatch({
    id: 'total-tokens',
    table: 'Message',
    column: 'totalTokens',
    equals: '"Message"."tokensIn" + "tokensOut"',
    where: 'id <= 400',
  }),
  check.rowCount({ id: 'count', table: 'Message', equals: 500 }),
  check.rowCount({ id: 'count-min', table: 'public.Message', min: 501 }),
  check.unique({ id: 'ids', table: 'Message', columns: ['id'] }),
  check.noNulls({ id: 'other-v', table: 'other', column: 'v' }),
  check.noNulls({ id: 'tokens', table: 'Message', column: 'tokensIn' }),
];

describe('fused scans', () => {
  it('computes the per-row checks of one table in one statement, with the same results as one by one', async () => {
    const plan = await validatePlan(definePlan({ id: 'fused', validate }));
    const alone: CheckOutcome[] = [];
    for (const st of plan.steps) {
      const r = await (stepKind(st.kind) as CheckKind).evaluate(readCtx(db, { plan, step: st }), st.options);
      alone.push({ stepId: st.id, kind: st.kind, title: st.title, ...r, status: r.status });
    }
    db.log = [];
    const s = session(plan);
    const fused: CheckOutcome[] = [];
    for (const st of plan.steps) fused.push(await evaluateCheck(s, st, null));
    expect(fused.map(strip)).toEqual(alone.map((a) => ({ ...a, durationMs: undefined })));
    expect(fused.map((r) => r.status)).toEqual([
      'fail',
      'fail',
      'fail',
      'pass',
      'fail',
      'fail',
      'pass',
      'fail',
      'pass',
      'fail',
      'pass',
    ]);
    // One aggregate pass over "Message" for its nine per-row checks, one over "other"; the rest are samples and set checks.
    const scans = db.log.filter((q) => /^SELECT count\(\*\) FILTER|^SELECT count\(\*\) AS c0/.test(q));
    expect(scans).toHaveLength(2);
    expect(scans[0]).toMatch(/ AS c8 FROM "Message"$/);
    expect(scans[1]).toMatch(/FROM "other"$/);
  });

  it('builds one statement with every aggregate, values as parameters', async () => {
    const plan = await validatePlan(definePlan({ id: 'fused', validate }));
    const members = fusionGroup(session(plan), plan.steps[0]);
    expect(members.map((m) => m.id)).toEqual([
      'org-set',
      'org-set-where',
      'status-ok',
      'intent-ok',
      'primary-intent',
      'total-tokens',
      'count',
      'count-min',
      'tokens',
    ]);
    const st = await fusedStatement('Message', members);
    expect(st.sql).toBe(
      'SELECT count(*) FILTER (WHERE ("orgId" IS NULL)) AS c0, count(*) FILTER (WHERE ("orgId" IS NULL) AND (id > 250)) AS c1, ' +
        'count(*) FILTER (WHERE "status" IS NOT NULL AND NOT ("status"::text = ANY($1::text[]))) AS c2, ' +
        'count(*) FILTER (WHERE "intent" IS NOT NULL AND NOT ("intent"::text = ANY($2::text[]))) AS c3, ' +
        'count(*) FILTER (WHERE ("primaryIntent" IS DISTINCT FROM (intent))) AS c4, ' +
        'count(*) FILTER (WHERE ("totalTokens" IS DISTINCT FROM ("Message"."tokensIn" + "tokensOut")) AND (id <= 400)) AS c5, ' +
        'count(*) AS c6, count(*) AS c7, count(*) FILTER (WHERE ("tokensIn" IS NULL)) AS c8 FROM "Message"',
    );
    expect(st.params).toEqual([['ok'], ['i0', 'i1', 'i2', 'i3', 'i3', 'i3', 'i3', 'i3', 'i3']]);
  });

  it('does not fuse across a step that may change the data, nor superseded checks', async () => {
    const plan = await validatePlan(
      definePlan({
        id: 'fused-split',
        validate: [
          check.noNulls({ id: 'a', table: 'Message', column: 'orgId' }),
          sql({ id: 'fix', up: 'SELECT 1' }),
          check.noNulls({ id: 'b', table: 'Message', column: 'orgId' }),
          check.noNulls({ id: 'c', table: 'Message', column: 'intent' }),
        ],
        contract: [op.dropColumn({ id: 'drop-intent', table: 'Message', column: 'intent' })],
      }),
    );
    const s = session(plan, ['drop-intent']);
    expect(fusionGroup(s, plan.steps[0]).map((m) => m.id)).toEqual(['a']);
    expect(fusionGroup(s, plan.steps[2]).map((m) => m.id)).toEqual(['b']);
    expect((await evaluateCheck(s, plan.steps[3], null)).status).toBe('superseded');
  });

  it('falls back to one by one when the fused statement fails, so each check reports its own error', async () => {
    const plan = await validatePlan(
      definePlan({
        id: 'fused-bad',
        validate: [
          check.noNulls({ id: 'good', table: 'Message', column: 'orgId' }),
          check.noNulls({ id: 'bad', table: 'Message', column: 'orgId', where: 'no_such_column > 1' }),
          check.rowCount({ id: 'count', table: 'Message', equals: 500 }),
        ],
      }),
    );
    const s = session(plan);
    const out = [];
    for (const st of plan.steps) out.push(await evaluateCheck(s, st, null));
    expect(out.map((r) => [r.status, r.error ?? false])).toEqual([
      ['fail', false],
      ['fail', true],
      ['pass', false],
    ]);
    expect(out[0].actual).toBe(71);
    expect(out[1].message).toMatch(/no_such_column/);
  });
});
