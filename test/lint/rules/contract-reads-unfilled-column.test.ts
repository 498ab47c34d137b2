/**
 * Rule `contract-reads-unfilled-column` (plan, warning): a contract step uses a column that expand
 * added without a default and no backfill fills.
 */
import { describe, expect, it } from 'vitest';
import { active, lintPlanBody, tty } from '../helpers.js';

describe('contract-reads-unfilled-column', () => {
  it('accepts columns filled by backfill.update, a raw UPDATE, or a default', async () => {
    const r = await lintPlanBody(`{
      id: 'wave',
      expand: [
        op.addColumn({ id: 'add-primary-intent', table: 'Conversation', column: 'primaryIntent', type: 'text' }),
        sql({ id: 'add-org', up: 'ALTER TABLE "MessageThread" ADD COLUMN "orgId" uuid' }),
        op.addColumn({ id: 'add-flag', table: 'MessageThread', column: 'isOneTimeClient', type: 'boolean', default: 'true' }),
      ],
      backfill: [
        backfill.update({ id: 'fill-intent', table: 'Conversation', set: { primaryIntent: 'intent' }, where: '"primaryIntent" IS NULL' }),
        sql({ id: 'fill-org', up: 'UPDATE "MessageThread" SET "orgId" = o.id FROM "Org" o WHERE "MessageThread"."orgId" IS NULL' }),
      ],
      validate: [
        check.noNulls({ id: 'intent', table: 'Conversation', column: 'primaryIntent' }),
        check.noNulls({ id: 'org', table: 'MessageThread', column: 'orgId' }),
        check.noNulls({ id: 'flag', table: 'MessageThread', column: 'isOneTimeClient' }),
      ],
      contract: [
        op.setNotNull({ id: 'intent-nn', table: 'Conversation', column: 'primaryIntent' }),
        op.setNotNull({ id: 'org-nn', table: 'MessageThread', column: 'orgId' }),
        op.setNotNull({ id: 'flag-nn', table: 'MessageThread', column: 'isOneTimeClient' }),
      ],
    }`);
    expect(active(r, 'contract-reads-unfilled-column')).toEqual([]);
  });

  it('warns when a contract step uses a column no backfill fills', async () => {
    const r = await lintPlanBody(`{
      id: 'wave',
      expand: [op.addColumn({ id: 'add-number', table: 'MessageThread', column: 'messageNumberId', type: 'uuid' })],
      backfill: [backfill.update({ id: 'fill-class', table: 'MessageThread', set: { numberClass: "'pool'" }, where: '"numberClass" IS NULL' })],
      validate: [check.noNulls({ id: 'number', table: 'MessageThread', column: 'messageNumberId' })],
      contract: [op.setNotNull({ id: 'number-nn', table: 'MessageThread', column: 'messageNumberId' })],
    }`);
    expect(active(r, 'contract-reads-unfilled-column').map((f) => [f.stepId, f.level])).toEqual([
      ['number-nn', 'warning'],
    ]);
    expect(tty(r, 'contract-reads-unfilled-column')).toMatchSnapshot();
  });
});
