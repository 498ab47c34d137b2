/**
 * `gate.approval({ id })` — open when this run was given `--approve <id>` (who and when are then
 * recorded in the ledger's `approvals`), or when the gate already opened on an approval that still
 * stands (so a run resumed past it does not ask again). An approval does not outlive a `rollback`
 * or `--redo` of its gate: after one, a fresh `--approve` is needed (`ledger/approvals.ts`).
 * See docs/gates/approval.md.
 */
import { z } from 'zod';
import { common } from '../kind/fields.js';
import type { GateKind } from '../kind/step-kind.js';
import { type ApprovalStanding, approvalStanding } from '../ledger/approvals.js';
import { recordApproval } from '../ledger/records.js';

/** The options of `gate.approval`, as a plan writes them (zod). */
export const schema = z
  .object({
    ...common,
  })
  .strict();

/** Validated options of `gate.approval`. */
export type Options = z.infer<typeof schema>;
/** Options of `gate.approval` as the builder accepts them. */
export type Input = z.input<typeof schema>;

/** The `gate.approval` kind. */
export const kind = {
  kind: 'gate.approval',
  category: 'gate',
  schema,
  async describe(_ctx, o) {
    return { actions: [], notes: [`approval: run with --approve ${o.id}`] };
  },
  async evaluate(ctx, o) {
    const opensWhen = `run again with --approve ${o.id}`;
    const by = ctx.settings.actor;
    if (ctx.settings.approvals.includes(o.id)) {
      if (ctx.ledger && ctx.runId !== null) await recordApproval(ctx.ledger, ctx.plan.id, o.id, ctx.runId, by);
      return {
        open: true,
        reason: `approved by ${by} (--approve ${o.id})`,
        opensWhen,
        detail: { approvedBy: by, at: new Date().toISOString(), recorded: !!ctx.ledger && ctx.runId !== null },
      };
    }
    const standing = ctx.ledger ? await approvalStanding(ctx.ledger, ctx.plan.id, o.id) : {};
    const prior = standing.current;
    if (prior) {
      return {
        open: true,
        reason: `approved by ${prior.approvedBy} at ${prior.at.toISOString()}`,
        opensWhen,
        detail: { approvedBy: prior.approvedBy, at: prior.at.toISOString(), runId: prior.runId },
      };
    }
    return { open: false, reason: `waiting for approval "${o.id}"${voided(standing)}`, opensWhen };
  },
} satisfies GateKind<Options>;

/** Why the latest approval no longer opens the gate, as a parenthesis for the closed reason. */
function voided(s: ApprovalStanding): string {
  if (!s.latest || !s.voidedBy || s.voidedBy === 'not-opened') return '';
  const what = s.voidedBy === 'redo' ? 'the gate was reset by --redo' : 'the gate was rolled back';
  return ` (the approval by ${s.latest.approvedBy} at ${s.latest.at.toISOString()} no longer counts: ${what} since)`;
}
