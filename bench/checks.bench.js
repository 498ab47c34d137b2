/**
 * Checks benchmark (`npm run bench -- checks`): on a 2M-row table (10M with TIDEMARK_BENCH_LARGE=1)
 *
 * - ten per-row checks (noNulls, allowedValues, columnsMatch, rowCount) of one table, evaluated
 *   through the runner's evaluateCheck (fused into one pass) ÷ one `SELECT count(*)` of the table
 *   — target ≤ 1.5; for comparison, the same ten ÷ one noNulls check alone (a pass that reads the
 *   columns, which `count(*)` never does) and the ten evaluated one by one;
 * - each set check (unique, noOrphans, perGroup, sameTenant), as the check kind runs it (catalog
 *   lookups included) ÷ the query an expert would write by hand — target ≤ 1.1.
 *
 * All checks pass on this data (a passing proof is the common case; samples are fetched only on
 * failure). Times are medians of interleaved repetitions after a warm-up.
 */

import { Db } from '../dist/db/connection.js';
import { DEFAULT_LOCK_POLICY } from '../dist/db/lock-policy.js';
import { check, definePlan, validatePlan } from '../dist/index.js';
import { evaluateCheck } from '../dist/runner/evaluate-check.js';
import { stepKind } from '../dist/steps/registry.js';

const LARGE = process.env.TIDEMARK_BENCH_LARGE === '1';
const ROWS = LARGE ? 10_000_000 : 2_000_000;
const CONVS = ROWS / 10;
const REPS = Number(process.env.TIDEMARK_BENCH_REPS ?? 5);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(fn) {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** Median times of several contenders, run interleaved so drift affects all alike. */
async function race(contenders) {
  for (const c of contenders) await c.fn(); // warm-up
  const times = contenders.map(() => []);
  for (let i = 0; i < REPS; i++)
    for (let j = 0; j < contenders.length; j++) times[j].push(await time(contenders[j].fn));
  return times.map(median);
}

function session(db, plan) {
  return {
    db,
    plan,
    ledgerSchema: 'tidemark',
    policy: DEFAULT_LOCK_POLICY,
    emit: () => undefined,
    appliedSteps: new Set(),
    settings: { backfillTargetMs: 200, shadowThresholdRows: 1_000_000, approvals: [], actor: 'bench' },
  };
}

function readCtx(db, plan, step) {
  const s = session(db, plan);
  return {
    db,
    plan,
    step,
    ledgerSchema: s.ledgerSchema,
    policy: s.policy,
    appliedSteps: s.appliedSteps,
    emit: s.emit,
    settings: s.settings,
  };
}

export default async function checksBench(ctx) {
  const url = await ctx.createDatabase('tm_bench_checks');
  const db = new Db(url, { max: 4 });
  try {
    ctx.log(`building ${ROWS.toLocaleString('en')} messages over ${CONVS.toLocaleString('en')} conversations…`);
    await db.query(`CREATE TABLE "Conversation" (id int PRIMARY KEY, "tenantId" int NOT NULL, status text NOT NULL)`);
    await db.query(
      `INSERT INTO "Conversation" SELECT g, g % 50, (ARRAY['open','closed','snoozed'])[1 + g % 3] FROM generate_series(1, ${CONVS}) g`,
    );
    await db.query(`CREATE TABLE "Message" (
      id bigint PRIMARY KEY, "conversationId" int NOT NULL, "tenantId" int NOT NULL, role text NOT NULL, intent text, "primaryIntent" text,
      "tokensIn" int, "tokensOut" int, "tokensTotal" int, model text, "modelUsed" text, "externalRef" text, "createdAt" timestamptz NOT NULL)`);
    await db.query(`INSERT INTO "Message" SELECT g, 1 + (g % ${CONVS}), (1 + (g % ${CONVS})) % 50, (ARRAY['user','assistant','system'])[1 + g % 3],
      'intent_' || (g % 7), 'intent_' || (g % 7), g % 1000, g % 500, (g % 1000) + (g % 500), 'model-' || (g % 4), 'model-' || (g % 4),
      md5(g::text), timestamptz '2026-01-01' + (g || ' seconds')::interval FROM generate_series(1, ${ROWS}) g`);
    await db.query(`VACUUM ANALYZE "Conversation"`);
    await db.query(`VACUUM ANALYZE "Message"`);

    // ---- fused per-row checks -------------------------------------------------------------------
    const plan = await validatePlan(
      definePlan({
        id: 'bench-checks',
        validate: [
          check.noNulls({ id: 'conv', table: 'Message', column: 'conversationId' }),
          check.noNulls({ id: 'intent', table: 'Message', column: 'primaryIntent' }),
          check.noNulls({ id: 'model', table: 'Message', column: 'modelUsed', where: `role <> 'system'` }),
          check.allowedValues({
            id: 'role',
            table: 'Message',
            column: 'role',
            values: ['user', 'assistant', 'system'],
          }),
          check.allowedValues({
            id: 'model-values',
            table: 'Message',
            column: 'modelUsed',
            values: ['model-0', 'model-1', 'model-2', 'model-3'],
          }),
          check.columnsMatch({ id: 'intent-copied', table: 'Message', column: 'primaryIntent', equals: 'intent' }),
          check.columnsMatch({
            id: 'tokens-total',
            table: 'Message',
            column: 'tokensTotal',
            equals: '"tokensIn" + "tokensOut"',
          }),
          check.columnsMatch({ id: 'model-copied', table: 'Message', column: 'modelUsed', equals: 'model' }),
          check.rowCount({ id: 'count', table: 'Message', equals: ROWS }),
          check.rowCount({ id: 'count-min', table: 'Message', min: 1 }),
        ],
      }),
    );
    const fused = async () => {
      const s = session(db, plan);
      for (const st of plan.steps) {
        const r = await evaluateCheck(s, st, null);
        if (r.status !== 'pass') throw new Error(`${st.id}: ${r.status} ${r.message ?? ''}`);
      }
    };
    const separate = async () => {
      for (const st of plan.steps) await stepKind(st.kind).evaluate(readCtx(db, plan, st), st.options);
    };
    const countScan = () => db.query(`SELECT count(*) FROM "Message"`);
    const countSeq = () =>
      db.withClient(async (c) => {
        await c.query('BEGIN');
        await c.query('SET LOCAL enable_indexonlyscan = off');
        await c.query('SET LOCAL enable_indexscan = off');
        await c.query('SET LOCAL enable_bitmapscan = off');
        await c.query(`SELECT count(*) FROM "Message"`);
        await c.query('COMMIT');
      });
    const oneStep = plan.steps.find((st) => st.id === 'model');
    const oneCheck = () => stepKind(oneStep.kind).evaluate(readCtx(db, plan, oneStep), oneStep.options);
    const [tFused, tSeparate, tCount, tSeq, tOne] = await race([
      { fn: fused },
      { fn: separate },
      { fn: countScan },
      { fn: countSeq },
      { fn: oneCheck },
    ]);
    const plan0 = (await db.rows(`EXPLAIN SELECT count(*) FROM "Message"`)).map((r) => r['QUERY PLAN']).join(' ');
    ctx.log(`count(*) plan: ${/Index Only Scan/.test(plan0) ? 'index-only scan' : 'sequential scan'}`);

    // ---- set checks vs hand-written queries ---------------------------------------------------------
    const setChecks = [
      {
        name: 'unique (externalRef)',
        step: check.unique({ id: 'ref-unique', table: 'Message', columns: ['externalRef'] }),
        expert: `SELECT "externalRef", count(*) FROM "Message" GROUP BY "externalRef" HAVING count(*) > 1`,
      },
      {
        name: 'noOrphans (Message → Conversation)',
        step: check.noOrphans({
          id: 'no-orphans',
          table: 'Message',
          column: 'conversationId',
          references: { table: 'Conversation', column: 'id' },
        }),
        expert: `SELECT count(*) FROM "Message" m WHERE NOT EXISTS (SELECT 1 FROM "Conversation" c WHERE c.id = m."conversationId")`,
      },
      {
        name: 'perGroup (1–100 messages per conversation, groupsFrom)',
        step: check.perGroup({
          id: 'per-conv',
          table: 'Message',
          groupBy: 'conversationId',
          min: 1,
          max: 100,
          groupsFrom: { table: 'Conversation', column: 'id' },
        }),
        expert: `SELECT c.id, count(m.id) FROM "Conversation" c LEFT JOIN "Message" m ON m."conversationId" = c.id GROUP BY c.id HAVING count(m.id) NOT BETWEEN 1 AND 100`,
      },
      {
        name: 'sameTenant (Message → Conversation)',
        step: check.sameTenant({
          id: 'same-tenant',
          table: 'Message',
          column: 'conversationId',
          tenantColumn: 'tenantId',
          references: { table: 'Conversation', column: 'id', tenantColumn: 'tenantId' },
        }),
        expert: `SELECT count(*) FROM "Message" m JOIN "Conversation" c ON c.id = m."conversationId" WHERE m."tenantId" <> c."tenantId"`,
      },
    ];
    const setPlan = await validatePlan(definePlan({ id: 'bench-set-checks', validate: setChecks.map((c) => c.step) }));
    const rows = [
      {
        benchmark: `10 per-row checks, fused ÷ count(*) [${ROWS.toLocaleString('en')} rows]`,
        'tidemark ms': tFused.toFixed(0),
        'baseline ms': tCount.toFixed(0),
        ratio: (tFused / tCount).toFixed(2),
        target: '≤ 1.5',
      },
      {
        benchmark: '10 per-row checks, fused ÷ count(*) as a sequential scan',
        'tidemark ms': tFused.toFixed(0),
        'baseline ms': tSeq.toFixed(0),
        ratio: (tFused / tSeq).toFixed(2),
        target: '',
      },
      {
        benchmark: '10 per-row checks, fused ÷ 1 noNulls check alone',
        'tidemark ms': tFused.toFixed(0),
        'baseline ms': tOne.toFixed(0),
        ratio: (tFused / tOne).toFixed(2),
        target: '',
      },
      {
        benchmark: '10 per-row checks one by one ÷ count(*) (for comparison)',
        'tidemark ms': tSeparate.toFixed(0),
        'baseline ms': tCount.toFixed(0),
        ratio: (tSeparate / tCount).toFixed(2),
        target: '',
      },
    ];
    for (let i = 0; i < setChecks.length; i++) {
      const st = setPlan.steps[i];
      const kind = stepKind(st.kind);
      const ours = async () => {
        const r = await kind.evaluate(readCtx(db, setPlan, st), st.options);
        if (r.status !== 'pass') throw new Error(`${st.id}: ${r.status} ${r.message ?? ''}`);
      };
      const expert = () => db.query(setChecks[i].expert);
      const [tOurs, tExpert] = await race([{ fn: ours }, { fn: expert }]);
      rows.push({
        benchmark: `${setChecks[i].name} ÷ hand-written`,
        'tidemark ms': tOurs.toFixed(0),
        'baseline ms': tExpert.toFixed(0),
        ratio: (tOurs / tExpert).toFixed(2),
        target: '≤ 1.1',
      });
    }
    ctx.report(rows);
  } finally {
    await db.close();
  }
}
