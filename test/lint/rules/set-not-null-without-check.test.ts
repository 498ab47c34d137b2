/**
 * Rule `set-not-null-without-check`: ok cases stay quiet, error cases are flagged, and the rendered finding is
 * snapshotted as users see it. See docs/rules/set-not-null-without-check.md.
 */
import { describe, expect, it } from 'vitest';
import { active, lintSql, tty } from '../helpers.js';

describe('set-not-null-without-check', () => {
  it('accepts SET NOT NULL after a validated CHECK (col IS NOT NULL)', async () => {
    const r = await lintSql(
      'ALTER TABLE "MessageThread" ADD CONSTRAINT thread_number_nn CHECK ("messageNumberId" IS NOT NULL) NOT VALID;\nALTER TABLE "MessageThread" VALIDATE CONSTRAINT thread_number_nn;\nALTER TABLE "MessageThread" ALTER COLUMN "messageNumberId" SET NOT NULL;\nALTER TABLE "MessageThread" DROP CONSTRAINT thread_number_nn;',
    );
    expect(active(r, 'set-not-null-without-check')).toEqual([]);
  });

  it('flags SET NOT NULL without a validated check', async () => {
    const r = await lintSql('ALTER TABLE "MessageThread" ALTER COLUMN "messageNumberId" SET NOT NULL;');
    const found = active(r, 'set-not-null-without-check');
    expect(found).toHaveLength(1);
    expect(found.every((f) => f.level === 'error')).toBe(true);
    expect(r.exitCode).toBe(1);
    expect(tty(r, 'set-not-null-without-check')).toMatchSnapshot();
  });

  it('flags SET NOT NULL when the validated check covers another column', async () => {
    const r = await lintSql(
      'ALTER TABLE "MessageThread" ADD CONSTRAINT c CHECK ("orgId" IS NOT NULL) NOT VALID;\nALTER TABLE "MessageThread" VALIDATE CONSTRAINT c;\nALTER TABLE "MessageThread" ALTER COLUMN "messageNumberId" SET NOT NULL;',
    );
    const found = active(r, 'set-not-null-without-check');
    expect(found).toHaveLength(1);
    expect(found.every((f) => f.level === 'error')).toBe(true);
    expect(r.exitCode).toBe(1);
    expect(tty(r, 'set-not-null-without-check')).toMatchSnapshot();
  });

  it('accepts a check validated in an earlier file of the same run', async () => {
    const r = await lintSql('', {
      name: 'm/001_check.sql',
      files: {
        'm/001_check.sql':
          'ALTER TABLE "MessageThread" ADD CONSTRAINT c CHECK ("messageNumberId" IS NOT NULL) NOT VALID;\nALTER TABLE "MessageThread" VALIDATE CONSTRAINT c;',
        'm/002_not_null.sql': 'ALTER TABLE "MessageThread" ALTER COLUMN "messageNumberId" SET NOT NULL;',
      },
      targets: ['m'],
    });
    expect(active(r, 'set-not-null-without-check')).toEqual([]);
  });
});
