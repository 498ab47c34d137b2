import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { indexName, notNullCheckName, uniqueName } from '../../src/ops/names.js';
import { quoteIdent } from '../../src/sql/ident.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { exec, op, plan, rollback, run } from './op-harness.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('ops_identifiers');
  await exec(url, 'CREATE TABLE sentinel (id int)');
});

/** Pieces that break naive quoting: quotes, semicolons, dots, comments, case, spaces, Unicode. */
const piece = fc.constantFrom(
  'a',
  'Z',
  'x',
  '"',
  "'",
  ';',
  '.',
  ' ',
  '-',
  '--',
  '/*',
  '*/',
  '$',
  '$$',
  '\\',
  '(',
  ')',
  'é',
  '表',
  '🙂',
  'DROP TABLE sentinel',
  '; DROP TABLE sentinel; --',
  '");',
  'Ω',
);
const name = fc
  .array(piece, { minLength: 1, maxLength: 8 })
  .map((a) => a.join(''))
  .filter((s) => Buffer.byteLength(s, 'utf8') <= 40 && s.trim().length > 0);
const names = fc.uniqueArray(name, { minLength: 5, maxLength: 5 });

const relnames = async () =>
  (
    await query<{ relname: string }>(
      url,
      `SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'`,
    )
  )
    .map((r) => r.relname)
    .sort();

describe('identifiers', () => {
  it('names with quotes, semicolons, dots, mixed case and Unicode round-trip through every op and never add a statement', async () => {
    let i = 0;
    await fc.assert(
      fc.asyncProperty(names, async ([table, parent, c, d, e]) => {
        const id = `fuzz-${i++}`;
        const p = await plan({
          id,
          expand: [
            op.createEnum({ id: 'enum', name: { name: `${e}_type` }, values: [table, d] }),
            op.addEnumValue({ id: 'enum-value', enum: { name: `${e}_type` }, value: parent }),
            op.createTable({ id: 'parent', table: { name: parent }, columns: { [c]: 'int' }, primaryKey: [c] }),
            op.createTable({
              id: 'table',
              table: { name: table },
              columns: { [c]: 'int', [d]: 'text' },
              primaryKey: [c],
            }),
            op.addColumn({ id: 'col', table: { name: table }, column: e, type: 'text', default: "'v'" }),
            op.addColumn({
              id: 'ref',
              table: { name: table },
              column: `${e}_ref`,
              type: 'int',
              references: { table: { name: parent }, column: c },
            }),
            op.createIndex({ id: 'idx', table: { name: table }, columns: [d, { column: e, order: 'desc' }] }),
          ],
          contract: [
            op.setNotNull({ id: 'nn', table: { name: table }, column: e }),
            op.addUnique({ id: 'uq', table: { name: table }, columns: [d] }),
            op.addCheck({ id: 'chk', table: { name: table }, name: `${d}_check`, expression: `${quoteIdent(c)} >= 0` }),
            op.addForeignKey({
              id: 'fk',
              table: { name: table },
              columns: [c],
              references: { table: { name: parent }, columns: [c] },
            }),
          ],
        });
        // A clean slate, so a failing case shrinks on its own merits.
        await exec(
          url,
          'DROP SCHEMA public CASCADE',
          'CREATE SCHEMA public',
          'CREATE TABLE public.sentinel (id int)',
          'INSERT INTO public.sentinel VALUES (1)',
        );
        const r = await run(url, p);
        expect(r.message).toBeUndefined();
        expect(await relnames()).toEqual([parent, 'sentinel', table].sort());
        const cols = await query<{ attname: string; attnotnull: boolean }>(
          url,
          `SELECT attname, attnotnull FROM pg_attribute WHERE attrelid = (SELECT oid FROM pg_class WHERE relname = $1 AND relnamespace = 'public'::regnamespace) AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
          [table],
        );
        expect(cols).toEqual([
          { attname: c, attnotnull: true },
          { attname: d, attnotnull: false },
          { attname: e, attnotnull: true },
          { attname: `${e}_ref`, attnotnull: false },
        ]);
        const idx = await query<{ relname: string; valid: boolean }>(
          url,
          `SELECT c.relname, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = (SELECT oid FROM pg_class WHERE relname = $1 AND relnamespace = 'public'::regnamespace) ORDER BY 1`,
          [table],
        );
        expect(idx.every((x) => x.valid)).toBe(true);
        expect(idx.map((x) => x.relname)).toContain(indexName({ name: table }, [d, e]));
        expect(idx.map((x) => x.relname)).toContain(uniqueName({ name: table }, [d]));
        const cons = await query<{ conname: string; contype: string; convalidated: boolean }>(
          url,
          `SELECT conname, contype::text AS contype, convalidated FROM pg_constraint WHERE conrelid = (SELECT oid FROM pg_class WHERE relname = $1 AND relnamespace = 'public'::regnamespace) AND contype IN ('c', 'f', 'u') ORDER BY 1`,
          [table],
        );
        expect(cons.every((x) => x.convalidated)).toBe(true);
        expect(cons.map((x) => x.contype).sort()).toEqual(['c', 'f', 'f', 'u']);
        expect(cons.map((x) => x.conname)).not.toContain(notNullCheckName({ name: table }, e));
        const labels = await query<{ enumlabel: string }>(
          url,
          `SELECT enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname = $1 ORDER BY enumsortorder`,
          [`${e}_type`],
        );
        expect(labels.map((l) => l.enumlabel)).toEqual([table, d, parent]);

        const down = await rollback(url, p, { to: 'nn' });
        expect(down.message).toBe('rolled back 4 step(s)');
        expect(
          await query(
            url,
            `SELECT count(*)::int AS n FROM pg_constraint WHERE conrelid = (SELECT oid FROM pg_class WHERE relname = $1 AND relnamespace = 'public'::regnamespace) AND contype IN ('c', 'f', 'u')`,
            [table],
          ),
        ).toEqual([{ n: 1 }]); // the column's FK
        const back = await rollback(url, p, { to: 'parent' });
        expect(back.exitCode).toBe(0);
        expect(await relnames()).toEqual(['sentinel']);
        await exec(url, `DROP TYPE ${quoteIdent(`${e}_type`)}`);
        expect(await query(url, `SELECT count(*)::int AS n FROM public.sentinel`)).not.toEqual([{ n: 0 }]);
      }),
      { numRuns: 8 },
    );
  });

  it('names over 63 bytes are refused at plan validation, counted in bytes', async () => {
    const long = 'é'.repeat(32); // 64 bytes, 32 characters
    await expect(
      plan({
        id: 'long-names',
        expand: [
          op.createTable({ id: 'table', table: 'x'.repeat(64), columns: { id: 'int' } }),
          op.addColumn({ id: 'column', table: 't', column: long, type: 'int' }),
          op.createIndex({ id: 'index', table: 't', columns: ['a'], name: 'i'.repeat(70) }),
          op.addCheck({ id: 'check', table: { name: 'ok', schema: 's'.repeat(64) }, name: 'c', expression: 'true' }),
        ],
      }),
    ).rejects.toThrow(
      /step "table" › table: name "x{64}" is 64 bytes long; PostgreSQL would silently truncate it to 63[\s\S]*step "column" › column: name is 64 bytes long[\s\S]*step "index" › name: name is 70 bytes long[\s\S]*step "check" › table.schema: name is 64 bytes long/,
    );
  });

  it('generated names are deterministic, readable, and within 63 bytes even for long or multi-byte parts', () => {
    expect(indexName('leads', ['tenant_id', 'status'])).toBe('leads_tenant_id_status_idx');
    expect(uniqueName('billing.invoices', ['tenant_id', 'contract_id'])).toBe('invoices_tenant_id_contract_id_key');
    fc.assert(
      fc.property(fc.array(name, { minLength: 1, maxLength: 4 }), name, (cols, table) => {
        for (const n of [
          indexName({ name: table }, cols),
          uniqueName({ name: table }, cols),
          notNullCheckName({ name: table }, cols[0]),
        ]) {
          expect(Buffer.byteLength(n, 'utf8')).toBeLessThanOrEqual(63);
          expect(n).toBe(Buffer.from(n, 'utf8').toString('utf8')); // no half characters
        }
        expect(indexName({ name: table }, cols)).toBe(indexName({ name: table }, [...cols]));
      }),
      { numRuns: 300 },
    );
    // Shortening must not cut an emoji (two UTF-16 units) in half: 'abc' + 11 emoji + half of one is exactly 50 bytes.
    const cut = uniqueName({ name: `abc${'🙂'.repeat(20)}` }, ['x']);
    expect(cut).toBe(Buffer.from(cut, 'utf8').toString('utf8'));
    expect(cut.startsWith(`abc${'🙂'.repeat(11)}_`)).toBe(true);
    const a = uniqueName('t'.repeat(60), ['tenant_id', 'email']);
    const b = uniqueName('t'.repeat(60), ['tenant_id', 'phone']);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^t+_[0-9a-f]{8}_key$/);
  });
});
