/**
 * Rule `table-rewrite`: ok cases stay quiet, error cases are flagged, and the rendered finding is
 * snapshotted as users see it. See docs/rules/table-rewrite.md.
 */
import { describe, expect, it } from 'vitest';
import { active, lintSql, tty } from '../helpers.js';

describe('table-rewrite', () => {
  it('accepts constant and stable defaults, and plain VACUUM', async () => {
    const r = await lintSql(
      'ALTER TABLE "Message" ADD COLUMN "archived" boolean NOT NULL DEFAULT false;\nALTER TABLE "Message" ADD COLUMN "seenAt" timestamptz DEFAULT now();\nVACUUM ANALYZE "Message";\nCREATE TABLE "Event" (id bigserial PRIMARY KEY, uid uuid DEFAULT gen_random_uuid());',
    );
    expect(active(r, 'table-rewrite')).toEqual([]);
  });

  it('flags a volatile default', async () => {
    const r = await lintSql('ALTER TABLE "Message" ADD COLUMN "publicId" uuid NOT NULL DEFAULT gen_random_uuid();');
    const found = active(r, 'table-rewrite');
    expect(found).toHaveLength(1);
    expect(found.every((f) => f.level === 'error')).toBe(true);
    expect(r.exitCode).toBe(1);
    expect(tty(r, 'table-rewrite')).toMatchSnapshot();
  });

  it('flags serial, identity and stored generated columns', async () => {
    const r = await lintSql(
      'ALTER TABLE "Message" ADD COLUMN seq bigserial;\nALTER TABLE "Message" ADD COLUMN n int GENERATED ALWAYS AS IDENTITY;\nALTER TABLE "Message" ADD COLUMN total int GENERATED ALWAYS AS ("tokensIn" + "tokensOut") STORED;',
    );
    const found = active(r, 'table-rewrite');
    expect(found).toHaveLength(3);
    expect(found.every((f) => f.level === 'error')).toBe(true);
    expect(r.exitCode).toBe(1);
    expect(tty(r, 'table-rewrite')).toMatchSnapshot();
  });

  it('flags SET LOGGED/UNLOGGED, VACUUM FULL and CLUSTER', async () => {
    const r = await lintSql(
      'ALTER TABLE "Message" SET UNLOGGED;\nALTER TABLE "Message" SET LOGGED;\nVACUUM FULL "Message";\nCLUSTER "Message" USING "Message_pkey";',
    );
    const found = active(r, 'table-rewrite');
    expect(found).toHaveLength(4);
    expect(found.every((f) => f.level === 'error')).toBe(true);
    expect(r.exitCode).toBe(1);
    expect(tty(r, 'table-rewrite')).toMatchSnapshot();
  });

  it('a default calling an unknown function is a warning', async () => {
    const r = await lintSql('ALTER TABLE "Message" ADD COLUMN code text DEFAULT make_code();');
    expect(active(r, 'table-rewrite').map((f) => f.level)).toEqual(['warning']);
  });
});
