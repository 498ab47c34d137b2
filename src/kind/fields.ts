/**
 * Shared option schemas for builders: ids, names, SQL text. Names are identifiers (quoted for
 * you); SQL fields are used as written — a fragment (`sqlExpr`, `sqlQuery`, `sqlColumnDef`) only
 * once the parser has read it as exactly one thing of its kind (docs/plans.md, "SQL fragments").
 */
import { z } from 'zod';
import { type FragmentKind, fragmentProblem, looksLikeQuery } from '../sql/fragment.js';
import { identProblem } from '../sql/ident.js';

const KEBAB = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** A step or plan id: kebab-case. */
export const kebabId = z
  .string()
  .regex(KEBAB, 'must be kebab-case (lowercase letters, digits and single dashes), e.g. "add-tenant-id"');

/** An identifier: any characters, at most 63 bytes. */
export const ident = z.string().superRefine((s, ctx) => {
  const p = identProblem(s);
  if (p) ctx.addIssue({ code: 'custom', message: `name ${p}` });
});

/** A table name: `'orders'`, `'billing.invoices'` or `{ schema?, name }`. */
export const relation = z.union([
  z.string().superRefine((s, ctx) => {
    const parts = s.split('.');
    if (parts.length > 2 || parts.some((p) => p.length === 0)) {
      ctx.addIssue({
        code: 'custom',
        message: `"${s}" is ambiguous: write { schema, name } when a name contains a dot`,
      });
      return;
    }
    for (const p of parts) {
      const prob = identProblem(p);
      if (prob) ctx.addIssue({ code: 'custom', message: `name "${p}" ${prob}` });
    }
  }),
  z.object({ schema: ident.optional(), name: ident }).strict(),
]);

/** SQL text, used as written (whole scripts: `sql` steps, `down`). */
export const sqlText = z.string().min(1, 'must not be empty');

/**
 * A fragment of SQL the parser must read as exactly one `kind`. Refinements run synchronously:
 * plan validation loads the parser before it parses options (plan/validate.ts).
 */
function fragment(kind: FragmentKind | ((s: string) => FragmentKind)) {
  return z.string().superRefine((s, ctx) => {
    const p = fragmentProblem(s, typeof kind === 'function' ? kind(s) : kind);
    if (p) ctx.addIssue({ code: 'custom', message: p });
  });
}

/** One SQL expression (`where`, the values of `set`/`values`, `expression`, `default`, `equals`), embedded parenthesised. */
export const sqlExpr = fragment('expression');

/** One query (SELECT, VALUES, TABLE or WITH … SELECT), run as written: `check.query`'s `sql`, `perTenant.tenants`. */
export const sqlQuery = fragment('query');

/** One column definition: a type, optionally with column options (`op.addColumn`'s `type`, `op.createTable`'s columns). */
export const sqlColumnDef = fragment('column definition');

/** A condition given either as an expression or as a query returning one value (`throttle.when`). */
export const sqlCondition = fragment((s) => (looksLikeQuery(s) ? 'query' : 'expression'));

/** One SQL string or several. */
export const sqlList = z.union([sqlText, z.array(sqlText).min(1, 'must list at least one statement')]);

export const fkAction = z.enum(['cascade', 'restrict', 'set null', 'set default', 'no action']);

export const severity = z.enum(['error', 'warn']);

/** Fields every step has. */
export const common = { id: kebabId, title: z.string().min(1).optional() };

/** A function value (transforms). Checksummed by its source text. */
export const fn = <T extends (...args: never[]) => unknown>() =>
  z.custom<T>((v) => typeof v === 'function', { message: 'must be a function' });

/** A non-empty list of identifiers without duplicates. */
export const identList = z
  .array(ident)
  .min(1, 'must name at least one column')
  .superRefine((a, ctx) => {
    const seen = new Set<string>();
    for (const c of a) {
      if (seen.has(c)) ctx.addIssue({ code: 'custom', message: `"${c}" is listed twice` });
      seen.add(c);
    }
  });

/** A backfill's `batch` options (backfill.update and backfill.insert). */
export const batchOptions = z
  .object({
    targetMs: z.number().int().positive().optional(),
    size: z.number().int().positive().optional(),
    pauseMs: z.number().int().nonnegative().optional(),
    /** Batches in flight: 1–4, or 'auto' (the default): 2 while no other session is using the database, else 1. */
    concurrency: z.union([z.number().int().min(1).max(4), z.literal('auto')]).optional(),
  })
  .strict();

/** A backfill's `perTenant` option: walk tenant by tenant under `SET LOCAL <setting> = <tenant>` (row-level security). */
export const perTenantOptions = z
  .object({
    column: ident,
    setting: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_.]*$/, 'must be a custom setting name like app.tenant_id'),
    /** SQL returning the tenant values, when they cannot be listed from the table (RLS hides its rows). */
    tenants: sqlQuery.optional(),
  })
  .strict();

/** A backfill's `throttle` option: pause on replica lag, on lock waits it causes, or on a SQL condition. */
export const throttleOptions = z
  .object({
    maxReplicaLagMs: z.number().positive().optional(),
    maxLockWaitMs: z.number().positive().optional(),
    when: sqlCondition.optional(),
    checkEveryMs: z.number().int().positive().optional(),
  })
  .strict();

/** The options every backfill kind takes besides its table(s) and what it writes. */
export const backfillCommon = {
  transform: fn<(rows: Record<string, unknown>[]) => unknown>().optional(),
  select: identList.optional(),
  where: sqlExpr.optional(),
  key: identList.optional(),
  batch: batchOptions.optional(),
  onError: z.enum(['stop', 'skip']).optional(),
  down: z.union([sqlText, z.array(sqlText).min(1)]).optional(),
  perTenant: perTenantOptions.optional(),
  throttle: throttleOptions.optional(),
};
