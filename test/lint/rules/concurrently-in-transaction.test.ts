/**
 * Rule `concurrently-in-transaction`: ok cases stay quiet, error cases are flagged, and the rendered finding is
 * snapshotted as users see it. See docs/rules/concurrently-in-transaction.md.
 */
import { describe, expect, it } from 'vitest';
import { active, lintSql, tty } from '../helpers.js';

describe('concurrently-in-transaction', () => {
  it('accepts CONCURRENTLY outside any transaction block', async () => {
    const r = await lintSql(
      'CREATE INDEX CONCURRENTLY "Message_tenantId_idx" ON "Message"("tenantId");\nBEGIN;\nALTER TABLE "Message" ADD COLUMN x int;\nCOMMIT;\nDROP INDEX CONCURRENTLY old_idx;',
    );
    expect(active(r, 'concurrently-in-transaction')).toEqual([]);
  });

  it('flags CONCURRENTLY after BEGIN', async () => {
    const r = await lintSql(
      'BEGIN;\nCREATE INDEX CONCURRENTLY "Message_tenantId_idx" ON "Message"("tenantId");\nCOMMIT;',
    );
    const found = active(r, 'concurrently-in-transaction');
    expect(found).toHaveLength(1);
    expect(found.every((f) => f.level === 'error')).toBe(true);
    expect(r.exitCode).toBe(1);
    expect(tty(r, 'concurrently-in-transaction')).toMatchSnapshot();
  });

  it('knows that Prisma runs a multi-statement migration in one transaction', async () => {
    const r = await lintSql('', {
      name: 'prisma/migrations/20250101_idx/migration.sql',
      files: {
        'prisma/migrations/20250101_idx/migration.sql':
          'ALTER TABLE "Message" ADD COLUMN x int;\nCREATE INDEX CONCURRENTLY "Message_x_idx" ON "Message"(x);',
      },
      targets: ['prisma'],
    });
    expect(active(r, 'concurrently-in-transaction')).toHaveLength(1);
    const single = await lintSql('CREATE INDEX CONCURRENTLY "Message_x_idx" ON "Message"(x);', {
      name: 'prisma/migrations/20250102_idx/migration.sql',
    });
    expect(active(single, 'concurrently-in-transaction')).toEqual([]);
  });
});
