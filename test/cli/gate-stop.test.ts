import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { cli } from '../helpers/run.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('cli_gate_stop');
});

describe('a closed gate', () => {
  it('stops the run with exit 5, says what opens it, and the next run goes on once it is open', async () => {
    const dir = tempDir();
    const file = writePlan(
      dir,
      `{ id: 'gated', expand: [sql({ id: 'mk', up: 'CREATE TABLE gated_t (id int)' })],
      contract: [gate.flag({ id: 'consumers-migrated', flag: 'gated.consumers' }), sql({ id: 'drop', up: 'DROP TABLE gated_t' })] }`,
    );
    const stopped = await cli(['run', file, '--database-url', url]);
    expect(stopped.code).toBe(5);
    expect(stopped.stdout).toContain('gate "consumers-migrated" is closed');
    expect(stopped.stdout).toContain('to open it: npx tidemark flag set gated.consumers on');
    expect(await query(url, `SELECT to_regclass('gated_t') IS NOT NULL AS kept`)).toEqual([{ kept: true }]);
    expect(
      (await cli(['flag', 'set', 'gated.consumers', 'on', '--database-url', url], { env: { TIDEMARK_ACTOR: 'alice' } }))
        .code,
    ).toBe(0);
    const list = await cli(['flag', 'list', '--database-url', url]);
    expect(list.stdout).toMatch(/gated\.consumers\s+on\s+alice/);
    const done = await cli(['run', file, '--database-url', url]);
    expect(done.code).toBe(0);
    expect(await query(url, `SELECT to_regclass('gated_t') IS NULL AS dropped`)).toEqual([{ dropped: true }]);
    expect(await query(url, `SELECT name, enabled, set_by FROM tidemark.flag_history`)).toEqual([
      { name: 'gated.consumers', enabled: true, set_by: 'alice' },
    ]);
    expect((await cli(['flag', 'set', 'gated.consumers', 'maybe', '--database-url', url])).code).toBe(2);
  });
});
