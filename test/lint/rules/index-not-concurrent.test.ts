/**
 * Rule `index-not-concurrent`: ok cases stay quiet, error cases are flagged, and the rendered finding is
 * snapshotted as users see it. See docs/rules/index-not-concurrent.md.
 */
import { describe, expect, it } from 'vitest';
import { active, lintSql, tty } from '../helpers.js';

describe('index-not-concurrent', () => {
  it('builds CONCURRENTLY, or indexes a table created in the same file', async () => {
    const r = await lintSql(
      'CREATE TABLE "Customer" (id uuid PRIMARY KEY, phone text);\nCREATE INDEX "Customer_phone_idx" ON "Customer"(phone);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS "Message_tenantId_idx" ON "Message"("tenantId");\nREINDEX INDEX CONCURRENTLY "Message_tenantId_idx";',
    );
    expect(active(r, 'index-not-concurrent')).toEqual([]);
  });

  it('flags CREATE INDEX on an existing table', async () => {
    const r = await lintSql('CREATE INDEX "Message_tenantId_idx" ON "Message"("tenantId", "createdAt");');
    const found = active(r, 'index-not-concurrent');
    expect(found).toHaveLength(1);
    expect(found.every((f) => f.level === 'error')).toBe(true);
    expect(r.exitCode).toBe(1);
    expect(tty(r, 'index-not-concurrent')).toMatchSnapshot();
  });

  it('flags REINDEX TABLE without CONCURRENTLY', async () => {
    const r = await lintSql('REINDEX TABLE "Message";');
    const found = active(r, 'index-not-concurrent');
    expect(found).toHaveLength(1);
    expect(found.every((f) => f.level === 'error')).toBe(true);
    expect(r.exitCode).toBe(1);
    expect(tty(r, 'index-not-concurrent')).toMatchSnapshot();
  });

  it('a plain DROP INDEX is a warning, not an error', async () => {
    const r = await lintSql('DROP INDEX "Message_old_idx";');
    expect(active(r, 'index-not-concurrent').map((f) => f.level)).toEqual(['warning']);
  });
});
