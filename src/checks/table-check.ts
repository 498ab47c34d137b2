/**
 * What the check kinds on one table declare alike: their options (`id`, `title`, `severity`, the
 * `table`, then the kind's own, unknown fields refused), and for the per-row kinds the kind itself
 * — a {@link RowProbe} evaluated alone as a fused scan of one, and fused by the runner with the
 * table's other per-row checks (docs/proof.md). A kind file then holds only what is its own.
 */
import { z } from 'zod';
import { common, relation, severity } from '../kind/fields.js';
import type { CheckKind, ReadContext } from '../kind/step-kind.js';
import { evaluateAlone, type RowCheck, type RowProbe } from './fused.js';

/** The options schema of a check on one table, with the kind's own fields after the shared ones. */
export function tableCheckSchema<S extends z.ZodRawShape>(shape: S) {
  return z.object({ ...common, severity: severity.optional(), table: relation, ...shape }).strict();
}

type CheckOptions = Parameters<CheckKind['evaluate']>[1];

/** A per-row check kind (preconditions and validate phases) from its probe, with `more` of its own. */
export function rowCheckKind<O extends CheckOptions, M extends Pick<CheckKind<O>, 'validate'> = object>(
  kind: string,
  schema: z.ZodType<O>,
  probe: RowProbe<O>,
  more?: M,
): CheckKind<O> & RowCheck<O> & M {
  return {
    kind,
    category: 'check',
    schema,
    phases: ['preconditions', 'validate'],
    rowProbe: probe,
    ...(more as M),
    evaluate: (ctx: ReadContext, o: O) => evaluateAlone(ctx, probe, o),
  };
}
