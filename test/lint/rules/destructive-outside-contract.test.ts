/**
 * Rule `destructive-outside-contract` (plan): drops and type conversions belong to the contract
 * phase. Raw SQL drops outside contract are `drop-object`, which knows the phase too.
 */
import { describe, expect, it } from 'vitest';
import { active, lintPlanBody, tty } from '../helpers.js';

describe('destructive-outside-contract', () => {
  it('accepts drops and conversions in the contract phase, and raw drops there', async () => {
    const r = await lintPlanBody(`{
      id: 'wave',
      contract: [
        op.convertToEnum({ id: 'intent-enum', table: 'Conversation', column: 'intent', enum: 'Intent', values: ['sales', 'support'] }),
        op.dropColumn({ id: 'drop-intent', table: 'Conversation', column: 'legacyIntent' }),
        sql({ id: 'drop-view', up: 'DROP VIEW conversation_legacy' }),
      ],
    }`);
    expect(active(r, 'destructive-outside-contract')).toEqual([]);
    expect(active(r, 'drop-object')).toEqual([]);
  });

  it('flags a type conversion in expand (warning) and a raw drop in expand (drop-object error)', async () => {
    const r = await lintPlanBody(`{
      id: 'wave',
      expand: [
        op.convertToEnum({ id: 'intent-enum', table: 'Conversation', column: 'intent', enum: 'Intent', values: ['sales', 'support'] }),
        sql({ id: 'drop-legacy', up: 'ALTER TABLE "Conversation" DROP COLUMN "legacyIntent"' }),
      ],
    }`);
    expect(active(r, 'destructive-outside-contract').map((f) => [f.stepId, f.phase, f.level])).toEqual([
      ['intent-enum', 'expand', 'warning'],
    ]);
    expect(active(r, 'drop-object').map((f) => [f.stepId, f.phase, f.level])).toEqual([
      ['drop-legacy', 'expand', 'error'],
    ]);
    expect(r.exitCode).toBe(1);
    expect(tty(r, 'destructive-outside-contract')).toMatchSnapshot();
    expect(tty(r, 'drop-object')).toMatchSnapshot();
  });
});
