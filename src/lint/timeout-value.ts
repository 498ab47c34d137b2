/**
 * Reading a timeout out of `SET lock_timeout = …` / `SET statement_timeout = …`: 0 (in any unit)
 * turns the timeout off; a value that is not a constant counts as set.
 */
import type { Node } from './ast.js';

/** The `args` of a `VariableSetStmt` set a non-zero timeout. */
export function nonZeroTimeout(args: unknown): boolean {
  const a = (args as Node[] | undefined)?.[0]?.A_Const as
    | { ival?: { ival?: number }; sval?: { sval?: string } }
    | undefined;
  if (!a) return true;
  if (a.ival) return (a.ival.ival ?? 0) !== 0;
  return !/^\s*0+\s*(ms|s|min|h|d)?\s*$/i.test(a.sval?.sval ?? '');
}
