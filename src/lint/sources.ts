/**
 * Turning lint targets into units: `.sql` files, folders of them (Prisma's
 * `migrations/<name>/migration.sql`, Drizzle's output, Alembic's offline SQL — walked recursively
 * and ordered by path) and plan files. Recognises which tool runs a file, because that decides
 * whether the file runs inside one transaction block.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { UsageError } from '../model/errors.js';
import type { SqlRunner } from './rule.js';

/** One thing to lint. */
export type LintUnit =
  | { kind: 'sql'; path: string; display: string; runner: SqlRunner; inTransaction: boolean | 'if-multiple' }
  | { kind: 'plan'; path: string; display: string };

const PLAN = /\.(m?ts|m?js)$/;
/** Files a folder walk skips: down/rollback scripts run only when undoing. */
const DOWN = /(^|[._-])(down|rollback|revert|undo)\.sql$/i;
const SKIP_DIRS = new Set(['node_modules', 'dist', 'build', 'coverage']);

/** A path as shown in findings: relative to `cwd` when inside it. */
export function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split(sep).join('/') : path;
}

/** Which tool runs a SQL file, and whether it wraps the file in a transaction. */
export function detectRunner(
  path: string,
  text: string,
  assumeInTransaction: boolean,
): { runner: SqlRunner; inTransaction: boolean | 'if-multiple' } {
  const p = path.split(sep).join('/');
  if (/(^|\/)migrations\/[^/]+\/migration\.sql$/.test(p))
    return { runner: 'prisma', inTransaction: assumeInTransaction || 'if-multiple' };
  if (existsSync(join(dirname(path), 'meta', '_journal.json'))) return { runner: 'drizzle', inTransaction: true };
  if (/\balembic_version\b/.test(text)) return { runner: 'alembic', inTransaction: assumeInTransaction };
  return { runner: 'sql', inTransaction: assumeInTransaction };
}

function walk(dir: string, out: string[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) walk(p, out);
    } else if (e.isFile() && ((e.name.endsWith('.sql') && !DOWN.test(e.name)) || /\.plan\.(m?ts|m?js)$/.test(e.name))) {
      out.push(p);
    }
  }
}

/** Resolve targets (files and folders, in the order given) into units; folders are ordered by path. */
export function collectUnits(
  targets: readonly string[],
  cwd: string,
  assumeInTransaction: boolean,
): { units: LintUnit[]; texts: Map<string, string> } {
  if (!targets.length) throw new UsageError('lint: give at least one plan, .sql file or folder');
  const units: LintUnit[] = [];
  const texts = new Map<string, string>();
  const seen = new Set<string>();
  const missing: string[] = [];
  const add = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    const display = displayPath(path, cwd);
    if (PLAN.test(path)) {
      units.push({ kind: 'plan', path, display });
      return;
    }
    if (!path.endsWith('.sql'))
      throw new UsageError(`lint: ${display} is neither a .sql file nor a plan (.ts, .mts, .js, .mjs)`);
    const text = readFileSync(path, 'utf8');
    texts.set(path, text);
    units.push({ kind: 'sql', path, display, ...detectRunner(path, text, assumeInTransaction) });
  };
  for (const t of targets) {
    const path = resolve(cwd, t);
    if (!existsSync(path)) {
      missing.push(t);
      continue;
    }
    if (statSync(path).isDirectory()) {
      const files: string[] = [];
      walk(path, files);
      files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      if (!files.length) throw new UsageError(`lint: no .sql file or plan in ${displayPath(path, cwd)}`);
      files.forEach(add);
    } else add(path);
  }
  if (missing.length) throw new UsageError(`lint: not found: ${missing.join(', ')}`);
  return { units, texts };
}
