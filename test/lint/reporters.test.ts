/**
 * The four reporters over one result: tty (code frame, caret, colour on request), json, gcc and
 * GitHub workflow annotations — each snapshotted.
 */
import { describe, expect, it } from 'vitest';
import { render } from '../../src/lint/index.js';
import { lintSql } from './helpers.js';

const SQL = [
  "SET lock_timeout = '2s';",
  "SET statement_timeout = '5min';",
  '-- tidemark-ignore drop-object: column unused since release 4.2',
  'ALTER TABLE "Lead" DROP COLUMN legacy;',
  'CREATE INDEX "Lead_email_idx"',
  '  ON "Lead" (email);',
  'ALTER TABLE "Lead" ADD COLUMN code text DEFAULT make_code();',
].join('\n');

describe('reporters', () => {
  it('tty: code frame with a caret under the position, help, docs, suppressed line, summary', async () => {
    const r = await lintSql(SQL);
    const out = render(r, 'tty', { color: false });
    expect(out).toMatchSnapshot();
    expect(out).not.toMatch(/\x1b\[/);
  });

  it('tty with colour uses ANSI colours', async () => {
    const r = await lintSql(SQL);
    expect(render(r, 'tty', { color: true })).toMatch(/\x1b\[31m/);
  });

  it('tty on a clean file', async () => {
    const r = await lintSql('CREATE TABLE t (id int PRIMARY KEY);\nCREATE INDEX t_id ON t(id);');
    expect(render(r, 'tty')).toBe('✓ no problems in 1 file\n');
  });

  it('json', async () => {
    const r = await lintSql(SQL);
    const doc = JSON.parse(render(r, 'json'));
    expect(doc).toMatchSnapshot();
    expect(doc.exitCode).toBe(1);
  });

  it('gcc', async () => {
    const r = await lintSql(SQL);
    expect(render(r, 'gcc')).toMatchSnapshot();
    expect(render(r, 'gcc').split('\n')[0]).toMatch(/^migration\.sql:6:6: error: .* \[index-not-concurrent\]$/);
  });

  it('github workflow annotations', async () => {
    const r = await lintSql(SQL);
    const out = render(r, 'github');
    expect(out).toMatchSnapshot();
    expect(out.split('\n')[0]).toMatch(
      /^::error file=migration\.sql,line=6,col=6,title=tidemark lint%3A index-not-concurrent::CREATE INDEX/,
    );
  });

  it('an unknown format is a usage error', async () => {
    const r = await lintSql('SELECT 1;');
    expect(() => render(r, 'xml')).toThrow(/unknown --format "xml"/);
  });
});
