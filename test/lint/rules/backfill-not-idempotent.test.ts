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
