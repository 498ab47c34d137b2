/**
 * Every check kind on names that need quoting: a schema with a space, a table whose name holds a dot
 * and quotes (written `{ schema, name }`), mixed-case columns with spaces and quotes — alone and fused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LOCK_POLICY } from '../../src/db/lock-policy.js';
import type { CheckKind } from '../../src/kind/step-kind.js';
import { check, definePlan } from '../../src/plan/define.js';
import { stepKind } from '../../src/plan/registry.js';
import { validatePlan } from '../../src/plan/validate.js';
import { evaluateCheck } from '../../src/runner/evaluate-check.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { Db, readCtx } from './context.js';

let url: string;
let db: Db;
const child = { schema: 'Tenant Data', name: 'odd.table "Child"' };
const parent = { schema: 'Tenant Data', name: 'Parent Rows' };

beforeAll(async () => {
  url = await createTestDatabase('checks_identifiers');
  db = new Db(url);
  await query(
    url,
    `
    CREATE SCHEMA "Tenant Data";
    CREATE TABLE "Tenant Data"."Parent Rows" ("Row Id" int PRIMARY KEY, "Tenant ""Key""" text);
    INSERT INTO "Tenant Data"."Parent Rows" VALUES (1, 'A'), (2, 'B');
    CREATE TABLE "Tenant Data"."odd.table ""Child""" ("Key Col" int PRIMARY KEY, "Parent Ref" int, "Tenant ""Key""" text, "Legacy Value" text, "New Value" text);
    INSERT INTO "Tenant Data"."odd.table ""Child""" VALUES (10, 1, 'A', 'x', 'x'), (11, 2, 'A', 'y', 'y'), (12, 3, 'B', NULL, NULL), (13, NULL, 'B', 'z', 'Z');
  `,
  );
});
afterAll(() => db.close());

const validate = [
  check.noNulls({ id: 'no-nulls', table: child, column: 'Parent Ref' }),
  check.allowedValues({ id: 'allowed', table: child, column: 'Tenant "Key"', values: ['A'] }),
  check.columnsMatch({ id: 'match', table: child, column: 'New Value', equals: '"Legacy Value"' }),
  check.rowCount({ id: 'count', table: child, equals: 4 }),
  check.unique({ id: 'unique', table: child, columns: ['Tenant "Key"'] }),
  check.noOrphans({
    id: 'orphans',
    table: child,
    column: 'Parent Ref',
    references: { table: parent, column: 'Row Id' },
  }),
  check.perGroup({
    id: 'per-group',
    table: child,
    groupBy: 'Parent Ref',
    equals: 1,
    groupsFrom: { table: parent, column: 'Row Id' },
  }),
  check.sameTenant({
    id: 'tenant',
    table: child,
    column: 'Parent Ref',
    tenantColumn: 'Tenant "Key"',
    references: { table: parent, column: 'Row Id', tenantColumn: 'Tenant "Key"' },
  }),
  check.distribution({ id: 'dist', table: child, column: 'Tenant "Key"' }),
];

const expected = {
  'no-nulls': { status: 'fail', sample: [{ 'Key Col': 13, 'Parent Ref': null }] },
  allowed: {
    status: 'fail',
    sample: [
      { 'Key Col': 12, 'Tenant "Key"': 'B' },
      { 'Key Col': 13, 'Tenant "Key"': 'B' },
    ],
  },
  match: { status: 'fail', sample: [{ 'Key Col': 13, 'New Value': 'Z', expected: 'z' }] },
  count: { status: 'pass', actual: 4 },
  unique: {
    status: 'fail',
    sample: [
      { 'Key Col': 10, 'Tenant "Key"': 'A' },
      { 'Key Col': 11, 'Tenant "Key"': 'A' },
      { 'Key Col': 12, 'Tenant "Key"': 'B' },
      { 'Key Col': 13, 'Tenant "Key"': 'B' },
    ],
  },
  orphans: { status: 'fail', sample: [{ 'Key Col': 12, 'Parent Ref': 3 }] },
  'per-group': { status: 'pass' },
  tenant: {
    status: 'fail',
    sample: [{ 'Key Col': 11, 'Parent Ref': 2, 'Tenant "Key"': 'A', 'Parent Rows.Tenant "Key"': 'B' }],
  },
  dist: {
    status: 'pass',
    distribution: [
      { value: 'A', count: 2 },
      { value: 'B', count: 2 },
    ],
  },
};

describe('identifiers that need quoting', () => {
  it('every kind evaluates alone', async () => {
    const plan = await validatePlan(definePlan({ id: 'idents', validate }));
    for (const st of plan.steps) {
      const r = await (stepKind(st.kind) as CheckKind).evaluate(readCtx(db, { plan, step: st }), st.options);
      expect(r, st.id).toMatchObject(expected[st.id as keyof typeof expected]);
    }
  });

  it('and through the runner, fused', async () => {
    const plan = await validatePlan(definePlan({ id: 'idents', validate }));
    const s = {
      db,
      plan,
      ledgerSchema: 'tidemark',
      policy: DEFAULT_LOCK_POLICY,
      emit: () => undefined,
      appliedSteps: new Set<string>(),
      fused: new Map(),
      settings: { backfillTargetMs: 200, shadowThresholdRows: 1e6, approvals: [], actor: 't' },
    };
    for (const st of plan.steps)
      expect(await evaluateCheck(s, st, null), st.id).toMatchObject(expected[st.id as keyof typeof expected]);
  });
});
