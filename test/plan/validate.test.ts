import { describe, expect, it } from 'vitest';
import { PlanInvalidError } from '../../src/model/errors.js';
import { backfill, check, definePlan, op, sql } from '../../src/plan/define.js';
import { validatePlan } from '../../src/plan/validate.js';

async function issuesOf(def: unknown) {
  try {
    await validatePlan(def);
  } catch (e) {
    expect(e).toBeInstanceOf(PlanInvalidError);
    return (e as PlanInvalidError).issues;
  }
  throw new Error('expected the plan to be invalid');
}

describe('plan validation', () => {
  it('lists every problem at once, each naming phase, step and field', async () => {
    const issues = await issuesOf(
      definePlan({
        id: 'Bad_Id',
        expand: [
          op.addColumn({ id: 'add-col', table: 'leads', column: 'tenant_id', type: '' }),
          sql({ id: 'add-col', up: 'SELECT 1' }),
          op.dropColumn({ id: 'drop-too-early', table: 'leads', column: 'x' }),
        ],
        validate: [check.noNulls({ id: 'NotKebab', table: 'leads', column: 'tenant_id' })],
        backfill: [backfill.update({ id: 'fill', table: { name: 'x'.repeat(64) }, set: { a: '1' } })],
      }),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'id', message: expect.stringContaining('kebab-case') }),
        expect.objectContaining({ phase: 'expand', stepId: 'add-col', field: 'type', message: 'must not be empty' }),
        expect.objectContaining({
          phase: 'expand',
          stepId: 'add-col',
          field: 'id',
          message: expect.stringContaining('duplicate'),
        }),
        expect.objectContaining({
          phase: 'expand',
          stepId: 'drop-too-early',
          message: expect.stringContaining('not allowed in the expand phase'),
        }),
        expect.objectContaining({ phase: 'validate', stepId: 'NotKebab', field: 'id' }),
        expect.objectContaining({
          phase: 'backfill',
          stepId: 'fill',
          field: 'table.name',
          message: expect.stringContaining('truncate'),
        }),
      ]),
    );
    expect(issues.length).toBeGreaterThanOrEqual(6);
  });

  it('points at the line and column of a SQL syntax error', async () => {
    const issues = await issuesOf(
      definePlan({ id: 'p', expand: [sql({ id: 'bad-sql', up: 'CREATE TABLE a (id int);\nCRATE TABLE b (id int)' })] }),
    );
    expect(issues).toEqual([
      expect.objectContaining({
        stepId: 'bad-sql',
        field: 'up',
        message: expect.stringMatching(/syntax error at or near "CRATE" \(line 2, column 1\)/),
      }),
    ]);
  });

  it('refuses unknown kinds, unknown plan fields and non-steps', async () => {
    const issues = await issuesOf({ id: 'p', expnd: [], expand: [{ kind: 'op.teleport', options: { id: 'x' } }, 42] });
    expect(issues.map((i) => i.message)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('unknown plan field'),
        expect.stringContaining('unknown step kind "op.teleport"'),
        expect.stringContaining('is not a step'),
      ]),
    );
  });

  it('refuses ambiguous dotted names but accepts schema-qualified ones and the object form', async () => {
    const issues = await issuesOf(
      definePlan({ id: 'p', validate: [check.noNulls({ id: 'a', table: 'a.b.c', column: 'x' })] }),
    );
    expect(issues[0].message).toContain('ambiguous');
    const plan = await validatePlan(
      definePlan({
        id: 'p',
        validate: [
          check.noNulls({ id: 'a', table: 'billing.invoices', column: 'x' }),
          check.noNulls({ id: 'b', table: { schema: 's', name: 'odd.name' }, column: 'x' }),
        ],
      }),
    );
    expect(plan.steps).toHaveLength(2);
  });

  it('checksums steps by definition; a function counts by its source; titles do not count', async () => {
    const a = await validatePlan(
      definePlan({
        id: 'p',
        backfill: [backfill.update({ id: 'f', table: 't', transform: async (rows) => rows, select: ['a'] })],
      }),
    );
    const b = await validatePlan(
      definePlan({
        id: 'p',
        backfill: [
          backfill.update({ id: 'f', title: 'New title', table: 't', transform: async (rows) => rows, select: ['a'] }),
        ],
      }),
    );
    const c = await validatePlan(
      definePlan({
        id: 'p',
        backfill: [backfill.update({ id: 'f', table: 't', transform: async (rows) => rows.slice(1), select: ['a'] })],
      }),
    );
    expect(a.steps[0].checksum).toBe(b.steps[0].checksum);
    expect(a.steps[0].checksum).not.toBe(c.steps[0].checksum);
    expect(a.checksum).not.toBe(c.checksum);
  });

  it('flattens phases in order: preconditions, expand, backfill, validate, contract', async () => {
    const plan = await validatePlan(
      definePlan({
        id: 'order',
        contract: [sql({ id: 'c', up: 'SELECT 1' })],
        validate: [check.rowCount({ id: 'v', table: 't', min: 0 })],
        expand: [sql({ id: 'e', up: 'SELECT 1' })],
        preconditions: [check.rowCount({ id: 'p', table: 't', min: 0 })],
      }),
    );
    expect(plan.steps.map((s) => `${s.phase}:${s.id}`)).toEqual([
      'preconditions:p',
      'expand:e',
      'validate:v',
      'contract:c',
    ]);
  });
});
