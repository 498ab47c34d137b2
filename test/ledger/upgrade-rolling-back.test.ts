/**
 * Ledger version 3 allows a step status `rolling_back`: a version 2 ledger with applied steps is
 * upgraded in place by the next run, its rows kept, and then accepts the new status.
 */

import { describe, expect, it } from 'vitest';
import { LEDGER_MIGRATIONS, LEDGER_VERSION } from '../../src/ledger/schema.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

describe('ledger upgrade to version 3', () => {
  it('a version 2 ledger is upgraded in place, keeps its steps and accepts rolling_back', async () => {
    const url = await createTestDatabase('ledger_upgrade_v3');
    const v2 = `CREATE SCHEMA tidemark; ${LEDGER_MIGRATIONS.slice(0, 2).join(';\n').replaceAll('{{schema}}', '"tidemark"')};
      INSERT INTO tidemark.meta (key, value) VALUES ('version', '2');
      INSERT INTO tidemark.plans (plan_id, title, checksum) VALUES ('old', 'old', 'x');
      INSERT INTO tidemark.steps (plan_id, step_id, phase, kind, position, checksum, status)
        VALUES ('old', 'a', 'expand', 'sql', 0, 'x', 'completed');`;
    await query(url, v2);
    await expect(query(url, `UPDATE tidemark.steps SET status = 'rolling_back'`)).rejects.toThrow(/steps_status_check/);

    const r = await runFile(writePlan(tempDir(), `{ id: 'new', expand: [sql({ id: 'n', up: 'SELECT 1' })] }`), {
      databaseUrl: url,
    });
    expect(r.exitCode, r.message).toBe(0);
    // Upgraded to the newest version (3 or later), in place.
    expect((await query(url, `SELECT value FROM tidemark.meta WHERE key = 'version'`))[0].value).toBe(
      String(LEDGER_VERSION),
    );
    await query(url, `UPDATE tidemark.steps SET status = 'rolling_back' WHERE plan_id = 'old'`);
    expect(await query(url, `SELECT step_id, status FROM tidemark.steps WHERE plan_id = 'old'`)).toEqual([
      { step_id: 'a', status: 'rolling_back' },
    ]);
  });
});
