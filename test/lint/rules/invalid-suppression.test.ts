/**
 * Rule `invalid-suppression`: ok cases stay quiet, error cases are flagged, and the rendered finding is
 * snapshotted as users see it. See docs/rules/invalid-suppression.md.
 */
import { describe, expect, it } from 'vitest';
import { active, lintSql, tty } from '../helpers.js';

describe('invalid-suppression', () => {
  it('accepts a suppression with a known rule and a reason', async () => {
    const r = await lintSql(
      '-- tidemark-ignore index-not-concurrent: "Lead" has 40 rows and never grows\nCREATE INDEX lead_idx ON "Lead"(email);',
    );
    expect(active(r, 'invalid-suppression')).toEqual([]);
  });

  it('flags a suppression without a reason, and one with an unknown rule', async () => {
    const r = await lintSql(
      '-- tidemark-ignore index-not-concurrent\nCREATE INDEX lead_idx ON "Lead"(email);\n-- tidemark-ignore no-such-rule: because\nCREATE INDEX lead_idx2 ON "Lead"(name);',
    );
    const found = active(r, 'invalid-suppression');
    expect(found).toHaveLength(2);
    expect(found.every((f) => f.level === 'error')).toBe(true);
    expect(r.exitCode).toBe(1);
    expect(tty(r, 'invalid-suppression')).toMatchSnapshot();
  });

  it('a suppression without a reason suppresses nothing', async () => {
    const r = await lintSql('-- tidemark-ignore index-not-concurrent\nCREATE INDEX lead_idx ON "Lead"(email);');
    expect(active(r, 'index-not-concurrent')).toHaveLength(1);
  });
});
