/**
 * Linting a loaded plan: the `up` SQL of its raw `sql`/`sqlFile` steps (knowing each step's phase
 * and that Tidemark runs it), with the tables `op.createTable` creates counted as new and the
 * checks `op.addCheck`/`op.setNotNull` validate counted as proof; then the plan rules, located at
 * each step's `id` in the plan file and suppressible by a `// tidemark-ignore` comment above it.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Plan, PlannedStep, RelationName } from '../model/plan.js';
import { parseRelation } from '../sql/ident.js';
import { parseStatements } from '../sql/parse.js';
import type { SourceResult } from './analyze.js';
import { analyzeSource, levelOf } from './analyze.js';
import { lineColumn, lineStartsOf, type Node, notNullColumns, type RangeVar } from './ast.js';
import type { LintConfig } from './config.js';
import type { Finding } from './finding.js';
import { stepScripts } from './plan-model.js';
import type { PlanRule, SqlRule, SqlSource, TableTouch } from './rule.js';
import { displayPath } from './sources.js';
import type { LintState } from './state.js';
import { type Directive, parseDirectives } from './suppress.js';

const rv = (rel: unknown): RangeVar => {
  const q = parseRelation(rel as RelationName);
  return { schemaname: q.schema, relname: q.name };
};

/** Where a step stands in its plan file: the `id: '…'` literal, and the builder call above it. */
class PlanFile {
  readonly lineStarts: number[];
  readonly directives: Directive[];
  constructor(readonly text: string) {
    this.lineStarts = lineStartsOf(text);
    this.directives = parseDirectives(text, this.lineStarts);
  }

  /** Offset of the step's id literal, or -1. */
  idOffset(id: string): number {
    const m = new RegExp(`\\bid\\s*:\\s*(['"\`])${id.replace(/[-]/g, '\\-')}\\1`).exec(this.text);
    return m ? m.index : -1;
  }

  /** The line of the builder call that holds the id (`op.setNotNull({`), or the id's own line. */
  builderLine(idOff: number): number {
    const before = this.text.slice(Math.max(0, idOff - 400), idOff);
    const re = /\b(?:sql|sqlFile|op\.\w+|backfill\.\w+|check\.\w+|gate\.\w+)\s*\(/g;
    let last = -1;
    for (let m = re.exec(before); m; m = re.exec(before)) last = m.index;
    const off = last === -1 ? idOff : Math.max(0, idOff - 400) + last;
    return lineColumn(this.lineStarts, off).line;
  }

  line(n: number): string {
    const s = this.lineStarts[n - 1] ?? 0;
    const e = n < this.lineStarts.length ? this.lineStarts[n] - 1 : this.text.length;
    return this.text.slice(s, e);
  }

  /** Valid directives in the comment block right above `line`. */
  above(line: number): Directive[] {
    const out: Directive[] = [];
    for (let n = line - 1; n >= 1 && /^\s*(\/\/|--)/.test(this.line(n)); n--) {
      const d = this.directives.find((x) => x.line === n);
      if (d) out.push(d);
    }
    return out;
  }
}

/** Lint one plan: its raw SQL (sql rules) and, when `planRules` is given, the plan rules. */
export function lintPlan(
  plan: Plan,
  opts: {
    state: LintState;
    config: LintConfig;
    sqlRules: readonly SqlRule[];
    planRules: readonly PlanRule[];
    knownRules: readonly string[];
    cwd: string;
    collect?: boolean;
  },
): SourceResult & { files: string[] } {
  const { state, config, cwd } = opts;
  const out: SourceResult & { files: string[] } = { findings: [], touches: [], tables: new Map(), files: [] };
  const planPath = plan.file ? displayPath(plan.file, cwd) : `plan ${plan.id}`;
  let pf: PlanFile | undefined;
  try {
    pf = plan.file ? new PlanFile(readFileSync(plan.file, 'utf8')) : undefined;
  } catch {
    pf = undefined;
  }
  if (plan.file) out.files.push(planPath);
  // Tables created anywhere earlier in the plan are new for the rest of it (docs/lint.md).
  const scope = `plan:${plan.file ?? plan.id}`;

  /** A finding template located at a step of the plan file. */
  const atStep = (step: PlannedStep): Finding => {
    const off = pf ? pf.idOffset(step.id) : -1;
    const lc = off >= 0 && pf ? lineColumn(pf.lineStarts, off) : { line: 1, column: 1 };
    const builder = off >= 0 && pf ? pf.builderLine(off) : lc.line;
    return {
      rule: '',
      level: 'warning',
      message: '',
      file: planPath,
      line: lc.line,
      column: lc.column,
      stepId: step.id,
      phase: step.phase,
      ...(pf
        ? {
            statement: pf.line(builder).trim(),
            statementLine: builder,
            statementColumn: pf.line(builder).search(/\S/) + 1,
          }
        : {}),
    };
  };
  const stepSuppressions = (step: PlannedStep): TableTouch['suppressions'] => {
    const off = pf ? pf.idOffset(step.id) : -1;
    if (!pf || off < 0) return [];
    const idLine = lineColumn(pf.lineStarts, off).line;
    const lines = new Set([pf.builderLine(off), idLine]);
    return [...lines]
      .flatMap((l) => pf!.above(l))
      .filter((d) => d.reason && d.rules.every((r) => opts.knownRules.includes(r)))
      .map((d) => ({ rules: d.rules, reason: d.reason, line: d.line, scope: 'statement' as const }));
  };

  for (const step of plan.steps) {
    const o = step.options as Record<string, unknown>;
    if (step.kind === 'op.createTable') state.addTable(scope, rv(o.table));
    else if (step.kind === 'op.addCheck')
      state.addCheck(rv(o.table), o.name as string, checkColumns(o.expression as string), true);
    else if (step.kind === 'op.setNotNull')
      state.addCheck(rv(o.table), `tidemark:${step.id}`, [o.column as string], true);
    else if (step.kind === 'backfill.update')
      out.touches.push({ table: rv(o.table), mode: 'write', at: atStep(step), suppressions: stepSuppressions(step) });
    else if (step.kind === 'backfill.insert')
      out.touches.push({ table: rv(o.from), mode: 'read', at: atStep(step), suppressions: stepSuppressions(step) });
    const scripts = stepScripts(plan, step);
    if (!scripts) continue;
    const txAdded = new Set<string>();
    for (const s of scripts.texts) {
      let file = planPath;
      let origin: SqlSource['origin'];
      if (s.file) {
        file = displayPath(resolve(plan.dir, s.file), cwd);
        if (!out.files.includes(file)) out.files.push(file);
      } else if (pf) {
        const at = pf.text.indexOf(s.text);
        const off = at >= 0 ? at : pf.idOffset(step.id);
        origin = off >= 0 ? lineColumn(pf.lineStarts, off) : { line: 1, column: 1 };
        if (at < 0) origin = { line: origin.line, column: 1 };
      }
      const source: SqlSource = {
        file,
        text: s.text,
        origin,
        phase: step.phase,
        stepId: step.id,
        runner: 'tidemark',
        inTransaction: scripts.transaction,
        scope,
      };
      const r = analyzeSource(source, opts.sqlRules, state, config, opts.knownRules, opts.collect, txAdded);
      out.findings.push(...r.findings);
      out.touches.push(...r.touches);
      for (const [k, v] of r.tables) out.tables.set(k, v);
    }
  }

  for (const rule of opts.planRules) {
    const lvl = levelOf(config, rule.id, rule.level);
    if (!lvl) continue;
    rule.check(plan, (d) => {
      const sup = stepSuppressions(d.step).find((x) => x.rules.includes(rule.id));
      out.findings.push({
        ...atStep(d.step),
        rule: rule.id,
        level: config.rules[rule.id] && config.rules[rule.id] !== 'off' ? lvl : (d.level ?? lvl),
        message: d.message,
        ...(d.help ? { help: d.help } : {}),
        ...(sup ? { suppressed: { reason: sup.reason, line: sup.line, scope: sup.scope } } : {}),
      });
    });
  }
  return out;
}

/** Columns a CHECK expression written in a plan proves NOT NULL. */
function checkColumns(expression: string): string[] {
  try {
    const [st] = parseStatements(`SELECT ${expression}`);
    const val = ((st?.node.targetList as Node[] | undefined)?.[0]?.ResTarget as { val?: Node } | undefined)?.val;
    return notNullColumns(val);
  } catch {
    return [];
  }
}
