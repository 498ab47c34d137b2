/**
 * `-- tidemark-ignore <rule>: <reason>`: above a statement, at the top of a file, several rules at
 * once, in plan SQL; the reason is required and shown; suppressed errors do not fail the lint.
 */
import { describe, expect, it } from 'vitest';
import { render } from '../../src/lint/index.js';
import { active, lintPlanBody, lintSql } from './helpers.js';

describe('suppression', () => {
  it('a comment right above a statement suppresses that statement only, and its reason is shown', async () => {
    const r = await lintSql(
      [
        '-- "Lead" has 40 rows and never grows',
        '-- tidemark-ignore index-not-concurrent: Lead is a 40-row lookup table',
        'CREATE INDEX lead_email ON "Lead"(email);',
        'CREATE INDEX lead_name ON "Lead"(name);',
      ].join('\n'),
    );
    const idx = r.findings.filter((f) => f.rule === 'index-not-concurrent');
    expect(idx.map((f) => [f.line, f.suppressed?.reason ?? null, f.suppressed?.scope ?? null])).toEqual([
      [3, 'Lead is a 40-row lookup table', 'statement'],
      [4, null, null],
    ]);
    expect(r.counts).toMatchObject({ errors: 1, suppressed: 1 });
    expect(render(r, 'tty')).toContain(
      'suppressed[index-not-concurrent] migration.sql:3:28 — Lead is a 40-row lookup table',
    );
  });

  it('at the top of a file (followed by a blank line) it covers the whole file; several rules at once', async () => {
    const r = await lintSql(
      [
        '-- tidemark-ignore index-not-concurrent, missing-timeout: run by hand in the 02:00 window, tables are tiny',
        '',
        'CREATE INDEX a ON "Lead"(email);',
        'CREATE INDEX b ON "Job"(status);',
        'ALTER TABLE "Job" DROP COLUMN legacy;',
      ].join('\n'),
    );
    expect(active(r, 'index-not-concurrent')).toEqual([]);
    expect(active(r, 'missing-timeout')).toEqual([]);
    expect(r.findings.filter((f) => f.suppressed).every((f) => f.suppressed!.scope === 'file')).toBe(true);
    expect(active(r, 'drop-object')).toHaveLength(1);
    expect(r.exitCode).toBe(1);
  });

  it('a fully suppressed file exits 0', async () => {
    const r = await lintSql(
      '-- tidemark-ignore drop-object: column unused since release 4.2 (checked in logs)\nALTER TABLE "Job" DROP COLUMN legacy;',
    );
    expect(r.exitCode).toBe(0);
    expect(r.counts).toMatchObject({ errors: 0, suppressed: 1 });
  });

  it('a suppression without a reason is itself an error and suppresses nothing', async () => {
    const r = await lintSql('-- tidemark-ignore drop-object\nALTER TABLE "Job" DROP COLUMN legacy;');
    expect(active(r, 'drop-object')).toHaveLength(1);
    expect(active(r, 'invalid-suppression')).toHaveLength(1);
  });

  it('a suppression separated from the statement by SQL does not apply (orphan warning)', async () => {
    const r = await lintSql(
      'SELECT 1;\n-- tidemark-ignore drop-object: reason\n\nALTER TABLE "Job" DROP COLUMN legacy;',
    );
    expect(active(r, 'drop-object')).toHaveLength(1);
    expect(active(r, 'invalid-suppression').map((f) => f.level)).toEqual(['warning']);
  });

  it('works inside the SQL of a plan step', async () => {
    const r = await lintPlanBody(`{
      id: 'w',
      expand: [sql({ id: 'idx', up: \`-- tidemark-ignore index-not-concurrent: lookup table of 12 rows
CREATE INDEX country_code ON "Country"(code)\` })],
    }`);
    expect(active(r, 'index-not-concurrent')).toEqual([]);
    expect(r.findings.find((f) => f.rule === 'index-not-concurrent')?.suppressed?.reason).toBe(
      'lookup table of 12 rows',
    );
  });
});
