/**
 * SQL fragments a plan supplies are read by the real parser as exactly one thing of their kind
 * (docs/plans.md, "SQL fragments"): a fragment that would close a parenthesis Tidemark opened, add
 * a statement or comment out what follows is refused at validation, naming phase, step and field.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { PlanInvalidError } from '../../src/model/errors.js';
import type { PlanIssue } from '../../src/model/plan.js';
import { backfill, check, definePlan, op } from '../../src/plan/define.js';
import { loadPlan } from '../../src/plan/load.js';
import { validatePlan } from '../../src/plan/validate.js';
import { fragmentProblem } from '../../src/sql/fragment.js';
import { ensureParser } from '../../src/sql/parse.js';
import { tempDir, writeFiles } from '../helpers/plan-files.js';

async function issuesOf(def: unknown): Promise<PlanIssue[]> {
  try {
    await validatePlan(def);
  } catch (e) {
    expect(e).toBeInstanceOf(PlanInvalidError);
    return (e as PlanInvalidError).issues;
  }
  return [];
}

beforeAll(() => ensureParser());

describe('fragmentProblem', () => {
  it.each([
    'a IS NULL',
    '(a) OR (b)',
    "status = ')' AND note LIKE '%(%'",
    'x /* ) */ + 1',
    '$$ ); DROP TABLE x; -- $$ = body',
    'a = 1 -- why\n  AND b',
    'coalesce("Message"."model", lower(x))',
    'arr[1] > 0',
    'EXISTS (SELECT 1 FROM t WHERE t.id = x.id)',
  ])('accepts the expression %j', (s) => {
    expect(fragmentProblem(s, 'expression')).toBeUndefined();
  });

  it.each([
    ['done IS NULL) OR (done', /closes a "\)" it did not open \(column 13\)/],
    ['true)) AS c0 FROM "inj"; DELETE FROM y; SELECT count(*) FILTER (WHERE (true', /closes a "\)" it did not open/],
    ['b IS NULL; DROP TABLE x; --', /does not parse|comment/],
    ['a = 1 -- swallows the parenthesis', /ends in a "--" comment/],
    ['a /* never closed', /does not parse/],
    ["name = 'unterminated", /does not parse/],
    ['(a', /does not parse|unclosed/],
    ['a AS b', /does not parse/],
    ['', /must not be empty/],
    ['   ', /must not be empty/],
  ])('refuses the expression %j', (s, why) => {
    expect(fragmentProblem(s, 'expression')).toMatch(why);
  });

  it('reads a query as exactly one SELECT-like statement', () => {
    expect(fragmentProblem('SELECT id FROM t WHERE x < 0', 'query')).toBeUndefined();
    expect(fragmentProblem('WITH a AS (SELECT 1) SELECT * FROM a;', 'query')).toBeUndefined();
    expect(fragmentProblem('SELECT 1; DELETE FROM y', 'query')).toMatch(/holds 2 statements/);
    expect(fragmentProblem('DELETE FROM y', 'query')).toMatch(/is DELETE/);
    expect(fragmentProblem('COMMIT', 'query')).toMatch(/is a transaction command/);
  });

  it('reads a column definition as exactly one column', () => {
    expect(fragmentProblem('varchar(20)[]', 'column definition')).toBeUndefined();
    expect(
      fragmentProblem('uuid NOT NULL REFERENCES "Job" (id) ON DELETE CASCADE', 'column definition'),
    ).toBeUndefined();
    expect(fragmentProblem('int, other int', 'column definition')).toMatch(/exactly one column definition/);
    expect(fragmentProblem('int); DROP TABLE x; --', 'column definition')).toMatch(/closes a "\)"/);
  });

  it('property: a valid expression followed by an escape is always refused', () => {
    const atom = fc.constantFrom('a', '"Done"', '1', "'x'", 'a IS NULL', 'lower(b)', '(c > 2)', 'now()');
    const expr = fc
      .tuple(atom, fc.constantFrom(' AND ', ' OR ', ' = ', ' + '), atom)
      .map(([l, op, r]) => `${l}${op}${r}`);
    const escapes = fc.constantFrom(
      ') OR (',
      ')',
      ';',
      '; DELETE FROM y',
      ' --',
      ' -- )',
      ') --',
      ' /*',
      ')) AS c0 FROM t; SELECT (',
    );
    const tail = fc.constantFrom('', 'true', 'b', 'x = 1', '(d');
    fc.assert(
      fc.property(expr, escapes, tail, (e, esc, t) => {
        expect(fragmentProblem(e, 'expression')).toBeUndefined();
        expect(fragmentProblem(`${e}${esc}${t}`, 'expression')).toBeDefined();
      }),
      { numRuns: 500 },
    );
  });
});

describe('plan validation of SQL fragments', () => {
  it('refuses every escaping fragment at once, naming phase, step and field', async () => {
    const bad = 'done IS NULL) OR (done';
    const issues = await issuesOf(
      definePlan({
        id: 'fragments',
        expand: [
          op.addColumn({ id: 'add', table: 't', column: 'c', type: 'int); DROP TABLE t; --', default: '1) + (2' }),
          op.addCheck({ id: 'chk', table: 't', name: 'c_pos', expression: 'c > 0) OR (true' }),
          op.createIndex({ id: 'idx', table: 't', columns: [{ expression: 'lower(a))' }], where: bad }),
          op.createTable({ id: 'tbl', table: 'u', columns: { id: 'int, evil int' } }),
        ],
        backfill: [
          backfill.update({
            id: 'fill',
            table: 't',
            set: { c: 'c + 1) WHERE (true' },
            where: bad,
            throttle: { when: 'true; SELECT pg_sleep(1)' },
          }),
          backfill.insert({ id: 'copy', from: 't', into: 'u', values: { id: 'id; --' } }),
        ],
        validate: [
          check.noNulls({ id: 'nn', table: 't', column: 'c', where: bad }),
          check.columnsMatch({ id: 'cm', table: 't', column: 'c', equals: 'd) OR (true' }),
          check.query({ id: 'q', title: 'q', sql: 'SELECT 1; DELETE FROM t', expect: 'empty' }),
        ],
      }),
    );
    const at = issues.map((i) => `${i.phase} ${i.stepId} ${i.field}`);
    expect(at).toEqual(
      expect.arrayContaining([
        'expand add type',
        'expand add default',
        'expand chk expression',
        'expand idx columns[0].expression',
        'expand idx where',
        'expand tbl columns.id',
        'backfill fill set.c',
        'backfill fill where',
        'backfill fill throttle.when',
        'backfill copy values.id',
        'validate nn where',
        'validate cm equals',
        'validate q sql',
      ]),
    );
  });

  it('accepts the legitimate fragments of a plan', async () => {
    const plan = await validatePlan(
      definePlan({
        id: 'fragments-ok',
        backfill: [
          backfill.update({
            id: 'fill',
            table: 't',
            set: { counter: 'counter + 1' },
            where: 'done IS NULL OR done',
            throttle: { when: 'SELECT count(*) > 10 FROM pg_stat_activity' },
          }),
        ],
        validate: [check.noNulls({ id: 'nn', table: 't', column: 'c', where: "kind = 'a' -- only a\n" })],
      }),
    );
    expect(plan.steps).toHaveLength(2);
  });
});

describe('docs/plans.md, "SQL fragments"', () => {
  it('its example is refused with the error the page prints', async () => {
    const md = readFileSync(new URL('../../docs/plans.md', import.meta.url), 'utf8');
    const section = md.slice(md.indexOf('## SQL fragments'), md.indexOf('## Checksums and drift'));
    const [, code] = /```ts\n([\s\S]*?)```/.exec(section)!;
    const [, printed] = /```\n(error: [\s\S]*?)```/.exec(section)!;
    const file = writeFiles(tempDir(), { 'fragments.plan.ts': code });
    const e = await loadPlan(file).catch((x) => x);
    expect(e).toBeInstanceOf(PlanInvalidError);
    expect(`error: ${e.message}\n`).toBe(printed);
  });
});
