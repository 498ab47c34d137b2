/**
 * Rule `contract-breaks-old-writers` (plan, warning): a contract step that old code cannot survive
 * stands before a gate of the contract phase.
 */
import { describe, expect, it } from 'vitest';
import { active, lintPlanBody, tty } from '../helpers.js';

describe('contract-breaks-old-writers', () => {
  it('accepts keepInSync before the gate, drops after it, and plans without a gate in the contract', async () => {
    const ok = await lintPlanBody(`{
      id: 'wave',
      expand: [op.addColumn({ id: 'add', table: 'orders', column: 'customer_id', type: 'uuid' })],
      backfill: [backfill.update({ id: 'fill', table: 'orders', set: { customer_id: 'gen_random_uuid()' }, where: 'customer_id IS NULL', keepInSync: true })],
      contract: [
        op.setNotNull({ id: 'nn', table: 'orders', column: 'customer_id' }),
        gate.flag({ id: 'live', flag: 'orders_v2' }),
        op.dropColumn({ id: 'drop-email', table: 'orders', column: 'customer_email' }),
      ],
    }`);
    expect(active(ok, 'contract-breaks-old-writers')).toEqual([]);
    const noGate = await lintPlanBody(`{
      id: 'wave',
      backfill: [backfill.update({ id: 'fill', table: 'orders', set: { customer_id: 'gen_random_uuid()' }, where: 'customer_id IS NULL' })],
      contract: [op.setNotNull({ id: 'nn', table: 'orders', column: 'customer_id' }), op.dropColumn({ id: 'drop-email', table: 'orders', column: 'customer_email' })],
    }`);
    expect(active(noGate, 'contract-breaks-old-writers')).toEqual([]);
  });

  it('warns on a NOT NULL without keepInSync and on a drop of a legacy column before the gate', async () => {
    const r = await lintPlanBody(`{
      id: 'wave',
      expand: [op.addColumn({ id: 'add', table: 'orders', column: 'customer_id', type: 'uuid' })],
      backfill: [backfill.update({ id: 'fill', table: 'orders', set: { customer_id: 'gen_random_uuid()' }, where: 'customer_id IS NULL' })],
      contract: [
        op.setNotNull({ id: 'nn', table: 'orders', column: 'customer_id' }),
        op.dropColumn({ id: 'drop-email', table: 'orders', column: 'customer_email' }),
        gate.flag({ id: 'live', flag: 'orders_v2' }),
      ],
    }`);
    expect(active(r, 'contract-breaks-old-writers').map((f) => [f.stepId, f.level])).toEqual([
      ['nn', 'warning'],
      ['drop-email', 'warning'],
    ]);
    expect(tty(r, 'contract-breaks-old-writers')).toMatchSnapshot();
  });
});
