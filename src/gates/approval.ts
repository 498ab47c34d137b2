/**
 * `gate.approval({ id })` — open when this run was given `--approve <id>` (who and when are then
 * recorded in the ledger's `approvals`), or when an approval of this gate of this plan is already
 * recorded (so a resumed run does not ask again). See docs/gates/approval.md.
 */
import { z } from 'zod';
import { approvalOf, recordApproval } from '../ledger/records.js';
import { common } from '../plan/fields.js';
import type { GateKind } from '../steps/step-kind.js';

/** The options of `gate.approval`, as a plan writes them (zod). */
export const schema = z.object({
  ...common,
}).strict();

/** Validated options of `gate.approval`. */
export type Options = z.infer<typeof schema>;
/** Options of `gate.approval` as the builder accepts them. */
export type Input = z.input<typeof schema>;

/** The `gate.approval` kind. */
export const kind = {
  kind: 'gate.approval',
  category: 'gate',
  schema,
  async evaluate(ctx, o) {
    const opensWhen = `run again with --approve ${o.id}`;
    const by = ctx.settings.actor;
    if (ctx.settings.approvals.includes(o.id)) {
      if (ctx.ledger && ctx.runId !== null) await recordApproval(ctx.ledger, ctx.plan.id, o.id, ctx.runId, by);
      return { open: true, reason: `approved by ${by} (--approve ${o.id})`, opensWhen, detail: { approvedBy: by, at: new Date().toISOString(), recorded: !!ctx.ledger && ctx.runId !== null } };
    }
    const prior = ctx.ledger ? await approvalOf(ctx.ledger, ctx.plan.id, o.id) : undefined;
    if (prior) return { open: true, reason: `approved by ${prior.approved_by} at ${prior.at.toISOString()}`, opensWhen, detail: { approvedBy: prior.approved_by, at: prior.at.toISOString() } };
    return { open: false, reason: `waiting for approval "${o.id}"`, opensWhen };
  },
} satisfies GateKind<Options>;
