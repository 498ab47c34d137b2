/**
 * Golden files for the Markdown and JSON reports of a deterministic wave (times, ids, durations,
 * hosts, ports, sizes normalised), the JSON validated against docs/report-schema.json, and the
 * committed schema kept equal to the one generated from the model.
 * Update the golden files with: UPDATE_GOLDEN=1 npx vitest run test/report/golden.test.ts
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/plan/load.js';
import { buildReport } from '../../src/report/build.js';
import { renderJson } from '../../src/report/json.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { type ReportModel, reportJsonSchema } from '../../src/report/model.js';
import { createTestDatabase } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';
import { injectBatches, normalize, seedCustomers, WAVE_PLAN } from './fixture.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const SCHEMA_FILE = here('../../docs/report-schema.json');
const update = !!process.env.UPDATE_GOLDEN;

/** Compare with a golden file (or write it under UPDATE_GOLDEN). */
function golden(name: string, actual: string): void {
  const file = here(`./golden/${name}`);
  if (update || !existsSync(file)) {
    writeFileSync(file, actual);
    if (!update) throw new Error(`golden file ${name} did not exist: written, check it and commit it`);
  }
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

let url: string;
let dir: string;
let model: ReportModel;

beforeAll(async () => {
  process.env.TIDEMARK_ACTOR = 'release-bot';
  url = await createTestDatabase('report_golden');
  await seedCustomers(url);
  dir = tempDir();
  const file = writePlan(dir, WAVE_PLAN, 'wave.plan.ts');
  const first = await runFile(file, { databaseUrl: url });
  expect(first.exitCode, first.message).toBe(5);
  const second = await runFile(file, { databaseUrl: url, approvals: ['ship-it'] });
  expect(second.exitCode, second.message).toBe(0);
  await injectBatches(url, 'report-wave', 'fill-display-name', 12);
  model = await buildReport({ databaseUrl: url, plan: await loadPlan(file), now: new Date('2026-01-02T00:00:00Z') });
});

describe('report golden files', () => {
  it('the committed JSON schema is the one the model generates', () => {
    const generated = `${JSON.stringify(reportJsonSchema(), null, 2)}\n`;
    if (update) writeFileSync(SCHEMA_FILE, generated);
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(generated);
  });

  it('JSON matches its golden file and validates against docs/report-schema.json', () => {
    const json = renderJson(model);
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')));
    const ok = validate(JSON.parse(json));
    expect(validate.errors ?? [], JSON.stringify(validate.errors)).toEqual([]);
    expect(ok).toBe(true);
    golden('wave.report.json', renderJson(normalize(model, dir)));
  });

  it('Markdown matches its golden file', () => {
    golden('wave.report.md', renderMarkdown(normalize(model, dir)));
  });

  it('tells what seed 001 tells, from the ledger', () => {
    const md = renderMarkdown(model);
    for (const heading of [
      '## What was done',
      '### Columns added',
      '### Tables',
      '## Steps',
      '## Backfills',
      '## Verification checklist (the proof)',
      '## Gates and approvals',
      '## Performance impact',
      '## Rollback procedure',
      '## Runs',
      '## Next steps',
      '## Validation queries',
    ]) {
      expect(md).toContain(heading);
    }
    expect(model.status.state).toBe('completed');
    expect(model.summary.tablesCreated).toEqual(['customer_notes']);
    expect(model.summary.indexesCreated).toEqual(['customers_email_idx']);
    expect(model.summary.enumsCreated).toEqual([{ name: 'customer_tier', values: 'basic, gold' }]);
    expect(model.summary.columnsAdded).toEqual([
      { table: 'customers', column: 'display_name', type: 'varchar(200)', stepId: 'add-display-name' },
    ]);
    expect(model.impact.tables.find((t) => t.name === 'customers')?.rows).toBe(120);
    const byId = Object.fromEntries(model.proof.checks.map((c) => [c.stepId, c]));
    expect(byId['display-name-filled'].status).toBe('pass');
    expect(byId['no-gmail'].status).toBe('warn');
    expect(byId['no-gmail'].sample.length).toBe(10);
    expect(byId.tiers.distribution).toEqual([
      { value: 'basic', count: 80 },
      { value: 'gold', count: 40 },
    ]);
    expect(model.gates.approvals.map((a) => [a.gateId, a.approvedBy])).toEqual([['ship-it', 'release-bot']]);
    const bf = model.backfills.find((b) => b.stepId === 'fill-display-name')!;
    expect(bf.rows).toBe(120);
    expect(bf.batches).toBe(12);
    expect(bf.poisonRows.count).toBe(1);
    expect(bf.throttledBatches).toBe(3);
    expect(bf.series.t.length).toBe(12);
    // The contract is applied; rollback would undo it newest first, and the backfill without down is irreversible.
    expect(model.rollback.steps[0].stepId).toBe('display-name-not-null');
    expect(model.rollback.refuses).toEqual(['fill-display-name']);
  });
});
