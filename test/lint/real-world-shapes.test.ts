/**
 * Lint on the shapes real migration files take: statements inside `DO` blocks (drizzle-kit's
 * foreign-key wrappers, Supabase-style guards), and a syntax error that must not hide the rest of
 * the file (a templated file).
 */
import { describe, expect, it } from 'vitest';
import { active, lintSql } from './helpers.js';

const at = (r: { findings: { rule: string; line: number; column: number }[] }, rule: string) =>
  r.findings.filter((f) => f.rule === rule).map((f) => [f.line, f.column]);

describe('DO blocks are looked into', () => {
  it('finds the index build and the unbatched update inside a DO block, at their line and column', async () => {
    const r = await lintSql(
      [
        '-- guard',
        'DO $$',
        'BEGIN',
        '  CREATE INDEX users_email_idx ON users (email);',
        '  UPDATE users SET a = 1;',
        'END $$;',
        '',
      ].join('\n'),
    );
    expect(at(r, 'index-not-concurrent')).toEqual([[4, 35]]); // at the table it locks
    expect(at(r, 'unbatched-data-change')).toEqual([[5, 10]]); // at the table
  });

  it("drizzle-kit's duplicate_object wrapper around a foreign key on an existing table is a foreign key added without NOT VALID", async () => {
    const r = await lintSql(`DO $$ BEGIN
 ALTER TABLE "posts" ADD CONSTRAINT "posts_author_id_users_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;
EXCEPTION
 WHEN duplicate_object THEN null;
END $$;
`);
    expect(active(r, 'constraint-not-valid').map((f) => [f.line, f.column])).toEqual([[2, 26]]); // at ADD CONSTRAINT
  });

  it('the same wrapper on a table created earlier in the file is fine', async () => {
    const r = await lintSql(`CREATE TABLE IF NOT EXISTS "posts" ("id" serial PRIMARY KEY, "author_id" integer);
DO $$ BEGIN
 ALTER TABLE "posts" ADD CONSTRAINT "posts_author_id_users_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."users"("id");
EXCEPTION
 WHEN duplicate_object THEN null;
END $$;
`);
    expect(active(r, 'constraint-not-valid')).toEqual([]);
  });

  it('EXECUTE of a literal string is analysed; CONCURRENTLY inside a DO block is inside a transaction', async () => {
    const r = await lintSql(`DO $$
BEGIN
  EXECUTE 'CREATE INDEX CONCURRENTLY orders_created_idx ON orders (created_at)';
END
$$;
`);
    expect(active(r, 'concurrently-in-transaction').map((f) => f.line)).toEqual([3]);
  });

  it('a DO block in another language, or with dynamic SQL built at run time, is not misread', async () => {
    const r = await lintSql(`DO $$ BEGIN EXECUTE format('CREATE INDEX %I ON t (a)', 'x'); END $$;
DO LANGUAGE plperl $$ print "CREATE INDEX x ON t (a)" $$;
`);
    expect(r.findings.filter((f) => f.level === 'error')).toEqual([]);
  });
});

describe('a syntax error does not hide the file', () => {
  it('a templated file reports the template line and still the findings of the statements around it', async () => {
    const r = await lintSql(`CREATE INDEX events_kind_idx ON events (kind);
ALTER TABLE {{ .Namespace }}.events ADD COLUMN note text;
UPDATE events SET note = 'x';
`);
    expect(at(r, 'syntax-error').map(([line]) => line)).toEqual([2]);
    expect(r.findings.find((f) => f.rule === 'syntax-error')?.help).toContain('were checked');
    expect(at(r, 'index-not-concurrent')).toEqual([[1, 33]]);
    expect(at(r, 'unbatched-data-change')).toEqual([[3, 8]]);
  });

  it('an unterminated quote still fails the whole file, and says so', async () => {
    const r = await lintSql(`CREATE INDEX a_idx ON a (x);\nSELECT 'never closed;\n`);
    const f = r.findings.filter((x) => x.rule === 'syntax-error');
    expect(f).toHaveLength(1);
    expect(f[0].help).toContain('nothing else in this script was checked');
  });
});
