/**
 * Rule `backfill-not-idempotent` (plan, warning): a backfill a catch-up pass would redo in full.
 */
import { describe, expect, it } from 'vitest';
import { active, lintPlanBody, tty } from '../helpers.js';

describe('backfill-not-idempotent', () => {
  it('accepts backfills with a where, or an insert with onConflict', async () => {
    const r = await lintPlanBody(`{
      id: 'wave',
      backfill: [
        backfill.update({ id: 'fill-intent', table: 'Conversation', set: { primaryIntent: 'intent' }, where: '"primaryIntent" IS NULL' }),
        backfill.insert({ id: 'customers', from: 'Lead', into: 'Customer', values: { id: 'gen_random_uuid()', phone: 'phone' }, onConflict: 'ignore' }),
      ],
    }`);
    expect(active(r, 'backfill-not-idempotent')).toEqual([]);
  });

  it('warns about a backfill.update without where and a backfill.insert without where or onConflict', async () => {
    const r = await lintPlanBody(`{
      id: 'wave',
      backfill: [
        backfill.update({ id: 'fill-intent', table: 'Conversation', set: { primaryIntent: 'intent' } }),
        backfill.insert({ id: 'customers', from: 'Lead', into: 'Customer', values: { id: 'gen_random_uuid()', phone: 'phone' } }),
      ],
    }`);
    const found = active(r, 'backfill-not-idempotent');
    expect(found.map((f) => [f.stepId, f.level])).toEqual([
      ['fill-intent', 'warning'],
      ['customers', 'warning'],
    ]);
    expect(r.exitCode).toBe(0);
    expect(found[0].line).toBe(5);
    expect(tty(r, 'backfill-not-idempotent')).toMatchSnapshot();
  });

  it('counter + 1 on a NOT NULL column: the hint is a marker column, never where "counter" IS NULL (0 rows)', async () => {
    const r = await lintPlanBody(`{
      id: 'wave',
      backfill: [backfill.update({ id: 'bump', table: 'Counter', set: { counter: 'counter + 1' } })],
    }`);
    const [f] = active(r, 'backfill-not-idempotent');
    expect(f.help).not.toContain("IS NULL' (rows not yet done)");
    expect(f.help).not.toMatch(/"counter" IS NULL/);
    expect(f.help).toContain(`where: '"counter_done" IS NULL'`);
    expect(f.help).toContain("counter_done: 'true'");
    // Quoted or qualified, it is still the column itself.
    for (const expr of ['"Counter" * 2', 't."Counter" + 1']) {
      const q = await lintPlanBody(`{
        id: 'wave',
        backfill: [backfill.update({ id: 'bump', table: 't', set: { Counter: '${expr.replaceAll("'", "\\'")}' } })],
      }`);
      expect(active(q, 'backfill-not-idempotent')[0].help).toContain('"Counter_done" IS NULL');
    }
  });

  it('a copy from another column: the hint is where col IS DISTINCT FROM (expr), true on NOT NULL columns too', async () => {
    const r = await lintPlanBody(`{
      id: 'wave',
      backfill: [backfill.update({ id: 'copy', table: 't', set: { total: 'price * qty', counterpart: 'counter' } })],
    }`);
    expect(active(r, 'backfill-not-idempotent')[0].help).toContain(
      `where: '"total" IS DISTINCT FROM (price * qty) OR "counterpart" IS DISTINCT FROM (counter)'`,
    );
  });

  it('is suppressed by a // tidemark-ignore comment above the step, with its reason', async () => {
    const r = await lintPlanBody(`{
      id: 'wave',
      backfill: [
        // tidemark-ignore backfill-not-idempotent: the set is a pure function of the row, rerunning is harmless
        backfill.update({ id: 'fill-intent', table: 'Conversation', set: { primaryIntent: 'intent' } }),
      ],
    }`);
    expect(active(r, 'backfill-not-idempotent')).toEqual([]);
    expect(r.findings.find((f) => f.rule === 'backfill-not-idempotent')?.suppressed?.reason).toBe(
      'the set is a pure function of the row, rerunning is harmless',
    );
  });
});
