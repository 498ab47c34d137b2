/**
 * Rule `constraint-without-check` (plan, warning): setNotNull/addUnique in contract need their
 * proof (check.noNulls / check.unique) in validate.
 */
import { describe, expect, it } from 'vitest';
import { active, lintPlanBody, tty } from '../helpers.js';

describe('constraint-without-check', () => {
  it('accepts contract constraints proved in validate', async () => {
    const r = await lintPlanBody(`{
      id: 'wave',
      validate: [
        check.noNulls({ id: 'thread-number', table: 'MessageThread', column: 'messageNumberId' }),
        check.unique({ id: 'one-front-desk', table: 'MessageNumber', columns: ['orgId', 'numberClass'] }),
      ],
      contract: [
        op.setNotNull({ id: 'thread-number-nn', table: 'MessageThread', column: 'messageNumberId' }),
        op.addUnique({ id: 'front-desk-uq', table: 'MessageNumber', columns: ['numberClass', 'orgId'] }),
      ],
    }`);
    expect(active(r, 'constraint-without-check')).toEqual([]);
  });

  it('warns when the matching check is missing or on another column', async () => {
    const r = await lintPlanBody(`{
      id: 'wave',
      validate: [check.noNulls({ id: 'org', table: 'MessageThread', column: 'orgId' })],
      contract: [
        op.setNotNull({ id: 'thread-number-nn', table: 'MessageThread', column: 'messageNumberId' }),
        op.addUnique({ id: 'front-desk-uq', table: 'MessageNumber', columns: ['orgId', 'numberClass'] }),
      ],
    }`);
    expect(active(r, 'constraint-without-check').map((f) => f.stepId)).toEqual(['thread-number-nn', 'front-desk-uq']);
    expect(r.exitCode).toBe(0);
    expect(tty(r, 'constraint-without-check')).toMatchSnapshot();
  });
});
