/**
 * Regression: error messages in `status` and the report were cut to their first line. A step
 * failing with a multi-line message now shows the whole message, indented, in `status`, and the
 * Markdown report keeps every line.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { cli, runFile } from '../helpers/run.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('cli_status_whole_errors');
});

describe('whole error messages', () => {
  it('error messages cut to their first line: status and the report show them whole', async () => {
    const plan = writePlan(
      tempDir(),
      `{
      id: 'multi-line-error',
      expand: [sql({ id: 'boom', up: "DO $$ BEGIN RAISE EXCEPTION E'first line of the cause\\\\nsecond line: the detail that matters'; END $$", down: 'SELECT 1' })],
    }`,
    );
    const r = await runFile(plan, { databaseUrl: url });
    expect(r.exitCode).toBe(1);
    const st = await cli(['status', plan, '--database-url', url]);
    expect(st.code, st.stderr).toBe(0);
    expect(st.stdout).toContain('step "boom" (failed):');
    expect(st.stdout).toMatch(/^ {4}.*first line of the cause$/m);
    expect(st.stdout).toMatch(/^ {4}second line: the detail that matters/m);
    const md = await cli(['report', plan, '--format', 'md', '--database-url', url]);
    expect(md.stdout).toContain('second line: the detail that matters');
  });
});
