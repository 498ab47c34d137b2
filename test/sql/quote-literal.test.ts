/**
 * `quoteLiteral` is the one SQL-literal quoter (src/sql/text.ts): the DDL that cannot take `$n`
 * parameters (enum labels, comments, the sync trigger's marker) goes through it. For any string,
 * `SELECT <literal>` must give the string back, whatever `standard_conforming_strings` says: a
 * quoter that only doubles quotes turns `\'` into an escape when the setting is off.
 */
import fc from 'fast-check';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteLiteral } from '../../src/sql/text.js';
import { connect, createTestDatabase } from '../helpers/db.js';

let client: pg.Client;
beforeAll(async () => {
  client = await connect(await createTestDatabase('sql_quote_literal'));
});
afterAll(async () => {
  await client?.end();
});

/** Strings rich in what quoting gets wrong: quotes, backslashes, `E'`, dollar signs, Unicode. */
const tricky = fc.string({
  unit: fc.oneof(
    fc.constantFrom("'", '\\', "''", "\\'", "E'", '$$', '"', '\n', '\t', ';', '--', 'é', '😀'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 40,
});
const noNul = tricky.filter((s) => !s.includes('\u0000'));

async function roundTrip(s: string): Promise<string> {
  return (await client.query<{ v: string }>(`SELECT ${quoteLiteral(s)}::text AS v`)).rows[0].v;
}

describe('quoteLiteral', () => {
  for (const scs of ['on', 'off']) {
    it(`round-trips any string through PostgreSQL with standard_conforming_strings ${scs} (backslashes included)`, async () => {
      await client.query(`SET standard_conforming_strings = ${scs}`);
      await client.query('SET escape_string_warning = off');
      await fc.assert(
        fc.asyncProperty(noNul, async (s) => {
          expect(await roundTrip(s)).toBe(s);
        }),
        { numRuns: 300 },
      );
    });
  }

  it('keeps a trailing backslash inside the literal when standard_conforming_strings is off', async () => {
    await client.query('SET standard_conforming_strings = off');
    for (const s of ["a\\'b", '\\', "\\'; SELECT 1; --", "it's"]) expect(await roundTrip(s)).toBe(s);
  });

  it('refuses a NUL byte (PostgreSQL text cannot hold one)', () => {
    fc.assert(
      fc.property(noNul, noNul, (a, b) => {
        expect(() => quoteLiteral(`${a}\u0000${b}`)).toThrow(/NUL/);
      }),
    );
  });
});
