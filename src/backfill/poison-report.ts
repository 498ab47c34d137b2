/**
 * How failed rows are reported: a sample of up to 10 (key and error) for messages, and the step
 * failure of `onError: 'stop'`, which names them and says how to go on.
 */
import { StepFailedError } from '../model/errors.js';
import { namedKey, showKey } from '../sql/key-range.js';
import type { KeyInfo } from './key.js';
import type { PoisonRef } from './progress.js';

/** Up to 10 failed rows, one line each. */
export function poisonSample(key: KeyInfo, refs: PoisonRef[]): string {
  const lines = refs
    .slice(0, 10)
    .map((r) => `- ${showKey(key, r.key)}: ${r.error}${r.sqlstate ? ` [${r.sqlstate}]` : ''}`);
  if (refs.length > 10) lines.push(`- … and ${refs.length - 10} more (ledger table poison_rows)`);
  return lines.join('\n');
}

/** The failure of a step that stopped on failed rows (`saved`: the other rows of the batch, committed). */
export function stoppedError(stepId: string, key: KeyInfo, refs: PoisonRef[], saved: number): StepFailedError {
  const rest = saved > 0 ? ` (the other ${saved} row(s) of the batch were saved)` : '';
  return new StepFailedError(
    stepId,
    `step "${stepId}": ${refs.length} row(s) failed and were left unchanged${rest}:\n${poisonSample(key, refs)}`,
    "Fix those rows (or the step), then run again: they are tried again first and the backfill continues after the last saved batch. Or set onError: 'skip'.",
    { poison: refs.map((r) => ({ key: namedKey(key, r.key), error: r.error, sqlstate: r.sqlstate })) },
  );
}
