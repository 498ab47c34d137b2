/**
 * The engine for one script: parse it with the real PostgreSQL parser, walk its statements in
 * order with the state before each (transaction block, timeouts, new tables, validated checks),
 * run the sql rules, turn their drafts into findings with file positions, and apply
 * `-- tidemark-ignore` suppressions.
 */

import { BLOCKING_LOCKS } from '../kind/step-kind.js';
import { statementTraits } from '../sql/parse.js';
import { redactText } from '../sql/redact.js';
import {
  alterCmds,
  asConstraint,
  createdView,
  functionNames,
  lineColumn,
  lineStartsOf,
  type Node,
  notNullColumns,
  OffsetMap,
  type RangeVar,
  rangeVars,
  skipTrivia,
  statementTables,
  strings,
  tableKey,
  volatilityOf,
} from './ast.js';
import type { LintConfig } from './config.js';
import type { Finding, Level } from './finding.js';
import type { Draft, RuleContext, SqlRule, SqlSource, Statement, TableTouch } from './rule.js';
import { rule as invalidSuppression } from './rules/invalid-suppression.js';
import { rule as syntaxError } from './rules/syntax-error.js';
import type { LintState } from './state.js';
import { readStatements } from './statements.js';
import { type Directive, parseDirectives, scopeDirectives } from './suppress.js';
import { nonZeroTimeout } from './timeout-value.js';

/** What analysing one script produced. */
export interface SourceResult {
  findings: Finding[];
  /** Tables locked or changed, for the database-aware rules. */
  touches: TableTouch[];
  /** Internal: the table reference and waiver kind of each finding, for the size check. */
  tables: Map<
    Finding,
    { table: Pick<RangeVar, 'schemaname' | 'relname'>; waivable?: 'small' | 'empty'; estimate?: string }
  >;
}

/** Positions inside a script → positions inside its file. */
export class Locator {
  readonly lineStarts: number[];
  readonly offsets: OffsetMap;
  readonly byteLength: number;
  constructor(readonly source: SqlSource) {
    this.lineStarts = lineStartsOf(source.text);
    this.offsets = new OffsetMap(source.text);
    this.byteLength = Buffer.byteLength(source.text, 'utf8');
  }

  /** 1-based line/column in the file of a character offset in the script. */
  at(offset: number): { line: number; column: number } {
    const lc = lineColumn(this.lineStarts, offset);
    const o = this.source.origin;
    if (!o) return lc;
    return { line: lc.line + o.line - 1, column: lc.line === 1 ? lc.column + o.column - 1 : lc.column };
  }
}

/** The level a rule reports at, after config; undefined when the rule is off. */
export function levelOf(config: LintConfig, ruleId: string, own: Level): Level | undefined {
  const c = config.rules[ruleId];
  return c === 'off' ? undefined : (c ?? own);
}

/**
 * Analyse one script, updating the run-wide state. `collect`: record the tables it touches (for the
 * database rules). `txAdded`: constraints added NOT VALID in the transaction open when the script
 * starts (shared by the scripts of one transactional plan step).
 */
export function analyzeSource(
  source: SqlSource,
  rules: readonly SqlRule[],
  state: LintState,
  config: LintConfig,
  knownRules: readonly string[],
  collect = false,
  txAdded = new Set<string>(),
): SourceResult {
  const out: SourceResult = { findings: [], touches: [], tables: new Map() };
  const loc = new Locator(source);
  const base = (pos: number): Omit<Finding, 'rule' | 'level' | 'message'> => {
    const { line, column } = loc.at(pos);
    return {
      file: source.file,
      line,
      column,
      ...(source.stepId ? { stepId: source.stepId, phase: source.phase } : {}),
    };
  };

  const { statements: parsed, errors } = readStatements(source.text, loc.offsets);
  const syntaxLevel = levelOf(config, syntaxError.id, syntaxError.level);
  for (const e of syntaxLevel ? errors : []) {
    const lc = lineColumn(loc.lineStarts, e.offset);
    const ls = loc.lineStarts[lc.line - 1];
    const le = lc.line < loc.lineStarts.length ? loc.lineStarts[lc.line] - 1 : source.text.length;
    const at = loc.at(ls);
    out.findings.push({
      rule: syntaxError.id,
      level: syntaxLevel as Level,
      message: e.message,
      help: parsed.length
        ? 'Fix the SQL; the statements that parse around it were checked.'
        : 'Fix the SQL; nothing else in this script was checked.',
      ...base(e.offset),
      statement: redactText(source.text.slice(ls, le).replace(/\r$/, '')),
      statementLine: at.line,
      statementColumn: at.column,
    });
  }
  if (!parsed.length) return out;

  if (source.transactionIfMultiple) source = { ...source, inTransaction: source.inTransaction || parsed.length > 1 };
  const stmts: Statement[] = parsed.map((p, index) => {
    const start = skipTrivia(source.text, p.start, p.end);
    return {
      index,
      type: p.type,
      node: p.node,
      text: source.text.slice(start, p.end),
      start,
      end: p.end,
      traits: statementTraits(p),
      ...(p.inDoBlock ? { inDoBlock: true } : {}),
    };
  });
  const directives = parseDirectives(source.text, loc.lineStarts);
  const firstLines = directives.length ? stmts.map((s) => lineColumn(loc.lineStarts, s.start).line) : [];
  const scopes = scopeDirectives(directives, firstLines, source.text, loc.lineStarts);
  const known = new Set(knownRules);
  const valid = (d: Directive): boolean =>
    d.reason.length > 0 && d.rules.length > 0 && d.rules.every((r) => known.has(r));
  const invalidLevel = levelOf(config, invalidSuppression.id, invalidSuppression.level);
  const lineText = (d: Directive) => {
    const s = loc.lineStarts[d.line - 1];
    const e = d.line < loc.lineStarts.length ? loc.lineStarts[d.line] - 1 : source.text.length;
    const pos = loc.at(s);
    return {
      statement: source.text.slice(s, e).replace(/\r$/, ''),
      statementLine: pos.line,
      statementColumn: pos.column,
    };
  };
  for (const d of directives) {
    if (valid(d) || !invalidLevel) continue;
    const unknown = d.rules.filter((r) => !known.has(r));
    const message = !d.rules.length
      ? 'tidemark-ignore names no rule'
      : unknown.length
        ? `tidemark-ignore names unknown rule${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`
        : `tidemark-ignore ${d.rules.join(', ')} gives no reason`;
    out.findings.push({
      rule: invalidSuppression.id,
      level: invalidLevel,
      message: `${message}; it suppresses nothing`,
      help: 'Write `-- tidemark-ignore <rule>: <why this is safe here>` on the line right above the statement.',
      ...base(d.offset),
      ...lineText(d),
    });
  }
  for (const d of scopes.orphans) {
    if (!valid(d) || !invalidLevel) continue;
    out.findings.push({
      rule: invalidSuppression.id,
      level: 'warning',
      message: `tidemark-ignore ${d.rules.join(', ')} stands above no statement; it suppresses nothing`,
      help: 'Put it on the line right above the statement, or at the top of the file followed by a blank line for the whole file.',
      ...base(d.offset),
      ...lineText(d),
    });
  }

  // Views and materialized views created in this script, by the index of their last CREATE: a
  // DROP before it is a re-creation, not a loss (docs/rules/drop-object.md).
  const laterViews = new Map<string, number>();
  for (const st of stmts) {
    const v = createdView(st);
    if (v) laterViews.set(`${v.kind}:${tableKey(v.rv)}`, st.index);
  }
  let currentIndex = 0;
  let inTx = source.inTransaction;
  const timeouts = { lock: false, statement: false };
  const seen = new Set<string>();
  const active: { rule: SqlRule; level: Level }[] = [];
  for (const rule of rules) {
    const level = levelOf(config, rule.id, rule.level);
    if (level) active.push({ rule, level });
  }
  let drafts: { rule: SqlRule; level: Level; d: Draft }[] = [];
  let current: { rule: SqlRule; level: Level } = active[0];
  const ctx: RuleContext = {
    source,
    config,
    inTransaction: inTx,
    timeouts: { ...timeouts },
    isNew: (t) => state.isNew(source.scope, t),
    notNullProven: (t, c) => state.notNullProven(t, c),
    functionVolatility: (name) => state.functionVolatility(source.scope, name),
    createdLater: (kind, t) => (laterViews.get(`${kind}:${tableKey(t)}`) ?? -1) > currentIndex,
    addedInOpenTransaction: (t, c) => txAdded.has(`${tableKey(t)}\u0000${c}`),
    once: (key) => {
      const k = `${current.rule.id}:${key}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    },
    report: (d) => drafts.push({ rule: current.rule, level: d.level ?? current.level, d }),
  };
  const hasDirectives = directives.length > 0;
  const covering = (st: Statement) =>
    hasDirectives
      ? [
          ...(scopes.byStatement.get(st.index) ?? []).map((x) => ({ ...x, scope: 'statement' as const })),
          ...scopes.file.map((x) => ({ ...x, scope: 'file' as const })),
        ].filter(valid)
      : [];
  const byType = new Map<string, { rule: SqlRule; level: Level }[]>();
  for (const st of stmts) {
    // A DO block runs as one statement: what it runs shares one transaction.
    ctx.inTransaction = inTx || !!st.inDoBlock;
    currentIndex = st.index;
    ctx.timeouts = { lock: timeouts.lock, statement: timeouts.statement };
    drafts = [];
    let forType = byType.get(st.type);
    if (!forType)
      byType.set(st.type, (forType = active.filter((a) => !a.rule.types || a.rule.types.includes(st.type))));
    for (const a of forType) {
      current = a;
      a.rule.check(st, ctx);
    }
    let where: { statement: string; statementLine: number; statementColumn: number } | undefined;
    const stmtInfo = () => {
      if (!where) {
        const p = loc.at(st.start);
        where = { statement: redactText(st.text), statementLine: p.line, statementColumn: p.column };
      }
      return where;
    };
    const cover = drafts.length || collect ? covering(st) : [];
    for (const { rule, level, d } of drafts) {
      let pos = st.start;
      if (d.at !== undefined && d.at >= 0) {
        const c = loc.offsets.charAt(d.at);
        if (c >= st.start && c < st.end) pos = c;
      }
      const configured = config.rules[rule.id];
      const f: Finding = {
        rule: rule.id,
        level: configured && configured !== 'off' ? configured : level,
        message: d.message,
        ...(d.help ? { help: d.help } : {}),
        ...base(pos),
        ...stmtInfo(),
        ...(d.table
          ? { table: d.table.schemaname ? `${d.table.schemaname}.${d.table.relname}` : d.table.relname }
          : {}),
      };
      const sup = cover.find((x) => x.rules.includes(rule.id));
      if (sup) f.suppressed = { reason: sup.reason, line: sup.line, scope: sup.scope };
      if (d.table) out.tables.set(f, { table: d.table, waivable: d.waivable, estimate: d.estimate });
      out.findings.push(f);
    }
    if (collect)
      collectTouches(
        st,
        source,
        state,
        () => ({ rule: '', level: 'warning', message: '', ...base(st.start), ...stmtInfo() }),
        cover,
        out.touches,
      );
    const wasInTx = inTx;
    ({ inTx } = track(st, source, state, inTx, timeouts));
    if (!inTx || !wasInTx) txAdded.clear();
    if (inTx && st.type === 'AlterTableStmt') {
      for (const c of alterCmds(st.node)) {
        const con = asConstraint(c.def);
        if (c.subtype === 'AT_AddConstraint' && con?.skip_validation && con.conname)
          txAdded.add(`${tableKey(st.node.relation as RangeVar)}\u0000${con.conname}`);
      }
    }
  }
  return out;
}

/** Update the state after a statement ran. */
function track(
  st: Statement,
  source: SqlSource,
  state: LintState,
  inTx: boolean,
  timeouts: { lock: boolean; statement: boolean },
): { inTx: boolean } {
  const n = st.node;
  switch (st.type) {
    case 'CreateStmt':
      state.addTable(source.scope, n.relation as RangeVar);
      break;
    case 'CreateTableAsStmt':
      state.addTable(source.scope, (n.into as Node).rel as RangeVar);
      break;
    case 'SelectStmt': {
      const into = (n.intoClause as Node | undefined)?.rel as RangeVar | undefined;
      if (into) state.addTable(source.scope, into);
      walkSetConfig(n, timeouts);
      break;
    }
    case 'CreateFunctionStmt': {
      const names = strings(n.funcname);
      if (names.length) state.addFunction(source.scope, names[names.length - 1], volatilityOf(n));
      break;
    }
    case 'RenameStmt':
      if (n.renameType === 'OBJECT_TABLE' && n.relation && state.isNew(source.scope, n.relation as RangeVar)) {
        const rv = n.relation as RangeVar;
        state.addTable(source.scope, { schemaname: rv.schemaname, relname: n.newname as string });
      }
      break;
    case 'AlterTableStmt': {
      const rv = n.relation as RangeVar;
      for (const c of alterCmds(n)) {
        const con = asConstraint(c.def);
        if (c.subtype === 'AT_AddConstraint' && con?.contype === 'CONSTR_CHECK')
          state.addCheck(rv, con.conname, notNullColumns(con.raw_expr), !con.skip_validation);
        if (c.subtype === 'AT_ValidateConstraint' && c.name) state.validate(rv, c.name);
      }
      break;
    }
    case 'TransactionStmt': {
      const k = n.kind as string;
      if (k === 'TRANS_STMT_BEGIN' || k === 'TRANS_STMT_START') return { inTx: true };
      if (k === 'TRANS_STMT_COMMIT' || k === 'TRANS_STMT_ROLLBACK') return { inTx: source.inTransaction };
      break;
    }
    case 'VariableSetStmt': {
      const name = n.name as string | undefined;
      const on = n.kind === 'VAR_SET_VALUE' && nonZeroTimeout(n.args);
      if (n.kind === 'VAR_RESET_ALL') timeouts.lock = timeouts.statement = false;
      if (name === 'lock_timeout') timeouts.lock = on;
      if (name === 'statement_timeout') timeouts.statement = on;
      break;
    }
  }
  return { inTx };
}

/** `SELECT set_config('lock_timeout', '2s', …)` counts as setting it. */
function walkSetConfig(n: Node, timeouts: { lock: boolean; statement: boolean }): void {
  if (!functionNames(n.targetList).includes('set_config')) return;
  const consts = JSON.stringify(n.targetList);
  if (consts.includes('"lock_timeout"')) timeouts.lock = true;
  if (consts.includes('"statement_timeout"')) timeouts.statement = true;
}

/** Record the tables a statement locks (blocking DDL) or changes/reads in bulk. */
function collectTouches(
  st: Statement,
  source: SqlSource,
  state: LintState,
  at: () => Finding,
  suppressions: TableTouch['suppressions'],
  out: TableTouch[],
): void {
  const isNew = (t: RangeVar) => state.isNew(source.scope, t);
  const tables = statementTables(st.type, st.node).filter((t) => t.relname && !isNew(t));
  if (!tables.length && st.type !== 'InsertStmt') return;
  const here = at();
  if (st.type === 'UpdateStmt' || st.type === 'DeleteStmt') {
    for (const t of tables) out.push({ table: t, mode: 'write', at: here, suppressions });
  } else if (st.type === 'InsertStmt') {
    for (const t of rangeVars(st.node.selectStmt))
      if (!isNew(t)) out.push({ table: t, mode: 'read', at: here, suppressions });
  } else if (BLOCKING_LOCKS.has(st.traits.lock) || st.type === 'DropStmt') {
    for (const t of tables) out.push({ table: t, mode: 'lock', at: here, suppressions });
  }
}
