/**
 * `gate.flag({ id, flag })` — open when the flag is on in the ledger's `flags` table
 * (`tidemark flag set <flag> on`, which records who and when in `flag_history`). Without a ledger
 * no flag can be on, so the gate is closed. See docs/gates/flag.md.
 */
import { z } from 'zod';
import { common } from '../kind/fields.js';
import type { GateKind } from '../kind/step-kind.js';
import { listFlags } from '../ledger/records.js';

/** The options of `gate.flag`, as a plan writes them (zod). */
export const schema = z
  .object({
    ...common,
    flag: z.string().regex(/^[A-Za-z0-9_.:-]+$/, 'must be a flag name: letters, digits, _ . : -'),
  })
  .strict();

/** Validated options of `gate.flag`. */
export type Options = z.infer<typeof schema>;
/** Options of `gate.flag` as the builder accepts them. */
export type Input = z.input<typeof schema>;

/** The command that opens the gate. */
const opensWhenOf = (o: Options): string => `npx tidemark flag set ${o.flag} on`;

/** The `gate.flag` kind. */
export const kind = {
  kind: 'gate.flag',
  category: 'gate',
  schema,
  async describe(_ctx, o) {
    return { actions: [], notes: [`flag "${o.flag}" must be on (${opensWhenOf(o)})`] };
  },
  async evaluate(ctx, o) {
    const opensWhen = opensWhenOf(o);
    if (!ctx.ledger)
      return { open: false, reason: `flag "${o.flag}" is not set (no ledger in this database yet)`, opensWhen };
    const f = (await listFlags(ctx.ledger)).find((x) => x.name === o.flag);
    if (!f) return { open: false, reason: `flag "${o.flag}" has never been set`, opensWhen };
    const detail = { flag: o.flag, enabled: f.enabled, setBy: f.set_by, setAt: f.set_at.toISOString() };
    if (!f.enabled)
      return {
        open: false,
        reason: `flag "${o.flag}" is off (set by ${f.set_by} at ${detail.setAt})`,
        opensWhen,
        detail,
      };
    return { open: true, reason: `flag "${o.flag}" is on (set by ${f.set_by} at ${detail.setAt})`, opensWhen, detail };
  },
} satisfies GateKind<Options>;
