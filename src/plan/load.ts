/**
 * Loading plan files (`.ts`, `.mts`, `.js`, `.mjs`) without a build step. `import … from 'tidemark'`
 * inside the plan resolves to the running Tidemark, wherever the plan file lives.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
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
