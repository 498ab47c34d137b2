/**
 * `--embedded [DIR]` takes an optional value, and commander gives an optional option the next
 * argument whenever it does not start with `-`. So `tidemark --embedded status` would start an
 * embedded PostgreSQL in a directory named "status", and `tidemark run --embedded x.plan.ts` in one
 * named after the plan. Before parsing, a bare `--embedded` followed by a command name (where a
 * command is expected) or by an existing file (never a data directory) is rewritten to
 * `--embedded=`, which the option's parser reads as "no DIR".
 */
import { statSync } from 'node:fs';
import type { Command, Option } from 'commander';

/** The one option whose value is optional. */
export const EMBEDDED = '--embedded';

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function findOption(path: Command[], flag: string): Option | undefined {
  for (const cmd of path) {
    const o = cmd.options.find((x) => x.long === flag || x.short === flag);
    if (o) return o;
  }
  return undefined;
}

/** `argv` (without node and script) with every bare `--embedded` made explicit. */
export function normaliseArgv(program: Command, argv: readonly string[]): string[] {
  const out = [...argv];
  const path: Command[] = [program];
  /** Still choosing a (sub)command: no positional argument of the current command seen yet. */
  let choosing = true;
  for (let i = 0; i < out.length; i++) {
    const arg = out[i];
    if (arg === '--') break;
    const cmd = path[path.length - 1];
    if (arg === EMBEDDED) {
      const next = out[i + 1];
      if (next !== undefined && !next.startsWith('-')) {
        const isCommand = choosing && cmd.commands.some((c) => c.name() === next || c.aliases().includes(next));
        if (isCommand || isFile(next)) out[i] = `${EMBEDDED}=`;
        else i++; // the DIR
      }
      continue;
    }
    if (arg.startsWith('-')) {
      // Skip the value of an option that requires one, so it is not taken for a command name.
      if (!arg.includes('=') && findOption(path, arg)?.required) i++;
      continue;
    }
    const sub = choosing ? cmd.commands.find((c) => c.name() === arg || c.aliases().includes(arg)) : undefined;
    if (sub) path.push(sub);
    else choosing = false;
  }
  return out;
}
