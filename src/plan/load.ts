/**
 * Loading plan files (`.ts`, `.mts`, `.js`, `.mjs`) without a build step. `import … from 'tidemark'`
 * inside the plan resolves to the running Tidemark, wherever the plan file lives.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createJiti } from 'jiti';
import { UsageError } from '../model/errors.js';
import type { Plan } from '../model/plan.js';
import { validatePlan } from './validate.js';

/** The entry point of the running Tidemark (dist/index.js, or src/index.ts under tests). */
export function tidemarkEntry(): string {
  // Built code finds ../index.js; tests running the sources use the build when present (fast), else the sources.
  for (const f of ['../index.js', '../../dist/index.js', '../index.ts']) {
    const p = fileURLToPath(new URL(f, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error('cannot locate the tidemark entry point');
}

/** Import a TypeScript or JavaScript module with `tidemark` aliased to the running copy. */
export async function importModule(file: string): Promise<Record<string, unknown>> {
  const jiti = createJiti(import.meta.url, {
    alias: { tidemark: tidemarkEntry() },
    moduleCache: false,
    interopDefault: false,
  });
  return (await jiti.import(file)) as Record<string, unknown>;
}

/** Load and validate a plan file. Throws UsageError (missing file, import error) or PlanInvalidError. */
export async function loadPlan(path: string): Promise<Plan> {
  const file = resolve(path);
  if (!existsSync(file)) throw new UsageError(`plan file not found: ${file}`);
  if (!/\.(m?ts|m?js)$/.test(file)) throw new UsageError(`${file}: a plan must be a .ts, .mts, .js or .mjs file`);
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(file);
  } catch (e) {
    throw new UsageError(`cannot load plan ${file}: ${(e as Error).message}`);
  }
  const def = mod.default ?? mod.plan;
  return validatePlan(def, file);
}

/** The plan files of a folder (`*.plan.ts|mts|js|mjs`), in file-name order (docs/cli.md, "A folder of plans"). */
export function planFilesIn(dir: string): string[] {
  const d = resolve(dir);
  return readdirSync(d)
    .filter((f) => /\.plan\.(m?ts|m?js)$/.test(f) && statSync(join(d, f)).isFile())
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((f) => join(d, f));
}

/** True when `path` names a folder (then commands cover every plan file in it). */
export function isPlanFolder(path: string): boolean {
  const p = resolve(path);
  return existsSync(p) && statSync(p).isDirectory();
}

/**
 * Load one plan file, or every plan file of a folder — all validated before any runs, so bad input
 * in the last plan stops the command before the first one changes anything.
 */
export async function loadPlans(path: string): Promise<Plan[]> {
  if (!isPlanFolder(path)) return [await loadPlan(path)];
  const files = planFilesIn(path);
  if (!files.length) throw new UsageError(`no plan files (*.plan.ts, .mts, .js, .mjs) in ${resolve(path)}`);
  const plans: Plan[] = [];
  for (const f of files) plans.push(await loadPlan(f));
  const seen = new Map<string, string>();
  for (const p of plans) {
    const other = seen.get(p.id);
    if (other) throw new UsageError(`two plan files in ${resolve(path)} have the id "${p.id}": ${other} and ${p.file}`);
    seen.set(p.id, p.file!);
  }
  return plans;
}
