/**
 * The proof as the plain renderer prints it (CI logs, `verify`, the validate phase of `run`): one
 * line per check beginning with the check's id at column 0 (docs/cli.md), then the mark, actual vs
 * expected; samples and distribution tables indented under their line; a check that could not run
 * says so on its line; `--quiet` keeps only failures.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createRenderer } from '../../src/cli/render/renderer.js';
import type { CheckOutcome, TidemarkEvent } from '../../src/kind/events.js';
import { loadPlan } from '../../src/plan/load.js';
import { verifyPlan } from '../../src/runner/verify.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';

function plain(quiet = false): { lines: string[]; feed: (e: TidemarkEvent) => void } {
  const lines: string[] = [];
  const r = createRenderer({
    mode: 'plain',
    color: false,
    quiet,
    out: (s) => lines.push(...s.split('\n')),
    err: (s) => lines.push(...s.split('\n')),
  });
  return { lines, feed: r.sink };
}

const outcome = (o: Partial<CheckOutcome> & Pick<CheckOutcome, 'stepId' | 'status'>): CheckOutcome => ({
  kind: 'check.noNulls',
  title: o.stepId,
  actual: 0,
  expected: 0,
  sample: [],
  ...o,
});

const events = (checks: CheckOutcome[]): TidemarkEvent[] => [
  {
    type: 'run.start',
    planId: 'p',
    title: 'p',
    command: 'verify',
    runId: null,
    dryRun: false,
    database: 'postgres://x@h/db',
    checkIdWidth: 9,
  },
  { type: 'phase.start', phase: 'validate', pending: checks.length },
  ...checks.map((result): TidemarkEvent => ({ type: 'check.result', phase: 'validate', result })),
  {
    type: 'proof.end',
    phase: 'validate',
    passed: !checks.some((c) => c.status === 'fail'),
    failed: checks.filter((c) => c.status === 'fail').map((c) => c.stepId),
    warned: [],
  },
];

describe('proof lines in plain output', () => {
  it('begin with the check id at column 0; samples stay indented under their line', () => {
    const { lines, feed } = plain();
    events([
      outcome({ stepId: 'ok-check', status: 'pass' }),
      outcome({
        stepId: 'nulls',
        status: 'fail',
        actual: 1,
        sample: [{ id: 7, v: null }],
        message: '1 row(s) of t have v NULL',
      }),
      outcome({
        stepId: 'broken',
        status: 'fail',
        error: true,
        actual: null,
        expected: null,
        message: 'the check could not run: column "v" does not exist',
      }),
    ]).forEach(feed);
    const at = (id: string) => lines.findIndex((l) => l.startsWith(id));
    expect(lines[at('ok-check')]).toBe('ok-check   ✓  0 (expected: 0)');
    expect(lines[at('nulls')]).toBe('nulls      ✗  1 (expected: 0)');
    expect(lines.slice(at('nulls') + 1, at('nulls') + 5)).toEqual([
      '              1 row(s) of t have v NULL',
      '              id     v',
      '              ──  ────',
      '               7  NULL',
    ]);
    expect(lines[at('broken')]).toBe('broken     ✗  the check could not run: column "v" does not exist');
    expect(lines.filter((l) => l.includes('could not run'))).toHaveLength(1);
    expect(lines).toContain('❌ 2 of 3 checks failed: nulls, broken');
  });

  it('--quiet prints only the failing checks, still at column 0', () => {
    const { lines, feed } = plain(true);
    events([
      outcome({ stepId: 'ok-check', status: 'pass' }),
      outcome({ stepId: 'nulls', status: 'fail', actual: 1 }),
    ]).forEach(feed);
    expect(lines.some((l) => l.includes('ok-check'))).toBe(false);
    expect(lines[0]).toBe('nulls      ✗  1 (expected: 0)');
  });
});

describe('verify through the renderer', () => {
  let url: string;
  beforeAll(async () => {
    url = await createTestDatabase('cli_render_proof');
    await query(
      url,
      `CREATE TABLE rp_thread (id text PRIMARY KEY, kind text); INSERT INTO rp_thread VALUES ('t1', 'a'), ('t2', NULL), ('t3', 'a')`,
    );
  });

  it('prints each check line from column 0 with its id, tables indented under it', async () => {
    const file = writePlan(
      tempDir(),
      `{
      id: 'render-proof',
      validate: [
        check.noNulls({ id: 'kind-set', table: 'rp_thread', column: 'kind' }),
        check.distribution({ id: 'by-kind', table: 'rp_thread', column: 'kind' }),
      ],
    }`,
    );
    const { lines, feed } = plain();
    const r = await verifyPlan(await loadPlan(file), { databaseUrl: url, events: feed });
    expect(r.exitCode).toBe(1);
    const first = lines.findIndex((l) => l.startsWith('kind-set'));
    expect(first).toBeGreaterThan(0);
    expect(lines[first]).toMatch(/^kind-set +✗ {2}rp_thread\.kind NULL: 1 \(expected: 0\)$/);
    const dist = lines.findIndex((l) => l.startsWith('by-kind'));
    expect(lines[dist]).toMatch(/^by-kind +✓ {2}rp_thread\.kind by value: 2 value\(s\), 3 row\(s\)$/);
    // Everything between the first check line and the verdict is a check line or indented under one.
    const verdict = lines.findIndex((l) => l.startsWith('❌'));
    for (const l of lines.slice(first, verdict).filter(Boolean))
      expect(l.startsWith('kind-set') || l.startsWith('by-kind') || /^ {4,}\S/.test(l), l).toBe(true);
    expect(lines.slice(dist + 1, dist + 3).every((l) => /^ {4,}(value|─)/.test(l))).toBe(true);
  });
});
