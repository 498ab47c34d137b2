/**
 * Reading other tools' migration files for `check.migrationApplied`: Alembic revision graphs from a
 * versions folder, and Drizzle's `meta/_journal.json`. Pure file reading; no database.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

/** `dir` resolved against the plan's directory. */
export function resolveDir(planDir: string, dir: string): string {
  return isAbsolute(dir) ? dir : resolve(planDir, dir);
}

/** One Alembic revision: its id and its parents (several for a merge, none for the first). */
export interface AlembicRevision {
  revision: string;
  parents: string[];
  file: string;
}

const REVISION = /^revision\s*(?::[^=\n]*)?=\s*['"]([^'"]+)['"]/m;
const DOWN = /^down_revision\s*(?::[^=\n]*)?=\s*(None|['"][^'"]*['"]|\([^)]*\)|\[[^\]]*\])/m;

/** Parse the `revision` / `down_revision` assignments of one Alembic migration file, if it has them. */
export function parseAlembicFile(text: string, file = ''): AlembicRevision | undefined {
  const rev = REVISION.exec(text);
  if (!rev) return undefined;
  const down = DOWN.exec(text);
  const parents = down ? [...down[1].matchAll(/['"]([^'"]+)['"]/g)].map((m) => m[1]) : [];
  return { revision: rev[1], parents, file };
}

/** Every revision in a versions folder (subfolders included, as Alembic's `recursive_version_locations`). */
export function readAlembicRevisions(dir: string): Map<string, AlembicRevision> {
  if (!existsSync(dir)) throw new Error(`Alembic versions folder ${dir} does not exist`);
  const out = new Map<string, AlembicRevision>();
  const walk = (d: string) => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) {
        if (f !== '__pycache__') walk(p);
      } else if (f.endsWith('.py')) {
        const r = parseAlembicFile(readFileSync(p, 'utf8'), p);
        if (r) out.set(r.revision, r);
      }
    }
  };
  walk(dir);
  return out;
}

/** For each head, the set of revisions it includes (itself and every ancestor); heads unknown to the folder are listed. */
export function alembicAncestors(
  dir: string,
  heads: readonly string[],
): { ancestors: Map<string, Set<string>>; unknownHeads: string[] } {
  const revs = readAlembicRevisions(dir);
  const ancestors = new Map<string, Set<string>>();
  const unknownHeads: string[] = [];
  for (const head of heads) {
    if (!revs.has(head)) unknownHeads.push(head);
    const seen = new Set<string>();
    const stack = [head];
    while (stack.length) {
      const r = stack.pop()!;
      if (seen.has(r)) continue;
      seen.add(r);
      for (const p of revs.get(r)?.parents ?? []) stack.push(p);
    }
    ancestors.set(head, seen);
  }
  return { ancestors, unknownHeads };
}

/** A Drizzle journal entry. */
export interface JournalEntry {
  idx: number;
  tag: string;
  when: number;
}

/** The journal entry for `name`: its tag (`0003_brave_hulk`), the tag's index prefix (`0003`) or its name part (`brave_hulk`). */
export function drizzleJournalEntry(dir: string, name: string): JournalEntry | undefined {
  const file = join(dir, 'meta', '_journal.json');
  if (!existsSync(file)) throw new Error(`Drizzle journal ${file} does not exist`);
  const journal = JSON.parse(readFileSync(file, 'utf8')) as { entries?: JournalEntry[] };
  const entries = journal.entries ?? [];
  return (
    entries.find((e) => e.tag === name) ??
    entries.find((e) => e.tag.startsWith(`${name}_`)) ??
    entries.find((e) => e.tag.endsWith(`_${name}`))
  );
}
