/**
 * One migration's SQL → what each statement becomes. Statements are read by the linter's reader
 * (PostgreSQL's parser; `DO` blocks looked into), and the generators' scaffolding is understood:
 * Alembic's `BEGIN;`/`COMMIT;` around the file and its `alembic_version` bookkeeping (the revisions
 * are kept for the plan's records), drizzle-kit's `--> statement-breakpoint` markers (comments to
 * the parser) and its `DO $$ BEGIN … EXCEPTION WHEN duplicate_object THEN null; END $$;` wrappers
 * (the statement inside is mapped), Prisma's comments. See docs/import.md.
 */
import { OffsetMap, strings } from '../lint/ast.js';
import { readStatements, type ScriptStatement } from '../lint/statements.js';
import { UsageError } from '../model/errors.js';
import { lineCol, statementTraits } from '../sql/parse.js';
import { type Available, type ImportState, mapAlterTable } from './alter-table.js';
import { mapCreateIndex, mapCreateTable } from './create.js';
import type { ImportedStep, ImportPhase, SourceMigration, StatementOutcome } from './model.js';
import { kebab, key, relationsOf } from './names.js';
import { mapAlterEnum, mapCreateEnum, mapCreateExtension, mapDrop, mapRename, type PhasedMapping } from './objects.js';
import { SourceText } from './source-text.js';

/** An Alembic revision step read from the offline SQL's `alembic_version` statements. */
export interface AlembicMove {
  revision: string;
  /** The revision it replaces; absent for the first revision (`INSERT INTO alembic_version`). */
  down?: string;
}

/** What one migration's SQL became. */
export interface ScriptResult {
  outcomes: StatementOutcome[];
  alembic: AlembicMove[];
}

const DUPLICATE_OBJECT_WRAPPER = /EXCEPTION\s+WHEN\s+duplicate_object\s+THEN\s+null\s*;\s*END\s*;?\s*$/i;
const DML = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

/** A raw `sql` step for a statement no operation takes. */
export function sqlStep(text: string, phase: ImportPhase, reason: string, node?: unknown): ImportedStep {
  let nonTransactional = false;
  let type = 'sql';
  try {
    const src = new SourceText(text);
    type = src.type;
    nonTransactional = statementTraits({ type: src.type, node: src.node }).nonTransactional;
  } catch {
    // a multi-statement group: runs in one transaction
  }
  const words = text
    .replace(/--[^\n]*\n/g, '')
    .split(/\s+/)
    .slice(0, 4)
    .map((w) => w.replace(/"/g, ''));
  return {
    builder: 'sql',
    idHint: kebab(type === 'sql' ? 'sql' : words.join('-')),
    phase,
    options: { up: text, ...(nonTransactional ? { transaction: false } : {}) },
    comment: reason,
    uses: node ? relationsOf(node).map((rv) => key.table(rv)) : [],
  };
}

function isAlembicVersion(st: ScriptStatement): boolean {
  return relationsOf(st.node).some((rv) => rv.relname === 'alembic_version');
}

/** The revision an `alembic_version` statement writes, and the one it replaces. */
function alembicMove(text: string): AlembicMove | undefined {
  const ins = /INSERT\s+INTO\s+alembic_version[^;]*VALUES\s*\(\s*'([^']+)'/i.exec(text);
  if (ins) return { revision: ins[1] };
  const upd =
    /UPDATE\s+alembic_version\s+SET\s+version_num\s*=\s*'([^']+)'[^;]*WHERE[^;]*version_num\s*=\s*'([^']+)'/i.exec(
      text,
    );
  if (upd) return { revision: upd[1], down: upd[2] };
  return undefined;
}

/** Map one statement on its own. */
function mapStatement(
  text: string,
  available: Available,
  state: ImportState,
): { steps: ImportedStep[]; reason?: string; kept: boolean } {
  const src = new SourceText(text);
  const keepAs = (reason: string, phase: ImportPhase = 'expand') => ({
    steps: [sqlStep(text, phase, reason, src.node)],
    reason,
    kept: true,
  });
  const fromMapping = (m: PhasedMapping) =>
    'keep' in m ? keepAs(m.keep, 'phase' in m ? m.phase : 'expand') : { steps: m.steps, kept: false };
  switch (src.type) {
    case 'CreateStmt':
      return fromMapping(mapCreateTable(src));
    case 'IndexStmt':
      return fromMapping(mapCreateIndex(src));
    case 'CreateEnumStmt': {
      const parts = strings(src.node.typeName);
      state.enums.add(parts.join('.'));
      return fromMapping(mapCreateEnum(src));
    }
    case 'AlterEnumStmt':
      return fromMapping(mapAlterEnum(src));
    case 'CreateExtensionStmt':
      return fromMapping(mapCreateExtension(src));
    case 'RenameStmt':
      return fromMapping(mapRename(src, available));
    case 'DropStmt':
      return fromMapping(mapDrop(src));
    case 'AlterTableStmt': {
      const cmds = mapAlterTable(src, available, state);
      if (!cmds) return keepAs('an ALTER TABLE this import could not cut into commands');
      if (cmds.length === 1 && 'sql' in cmds[0]) return keepAs(cmds[0].reason, cmds[0].phase);
      const steps: ImportedStep[] = [];
      const reasons: string[] = [];
      for (const c of cmds) {
        if ('steps' in c) steps.push(...c.steps);
        else {
          steps.push(sqlStep(c.sql, c.phase, c.reason, src.node));
          reasons.push(c.reason);
        }
      }
      return { steps, reason: reasons.join('; ') || undefined, kept: reasons.length > 0 };
    }
    default:
      if (DML.has(src.type))
        return keepAs(
          'a data change, kept as one statement in the backfill phase; on a large table write it as backfill.update (batched, resumable)',
          'backfill',
        );
      return keepAs(`no safe operation for ${src.type.replace(/Stmt$/, '')}: kept as written`);
  }
}

/** Map every statement of one migration. Throws UsageError (exit 2) when its SQL does not parse. */
export function mapScript(m: SourceMigration, available: Available, state: ImportState): ScriptResult {
  const { statements, errors } = readStatements(m.sql, new OffsetMap(m.sql));
  if (errors.length) {
    const e = errors[0];
    throw new UsageError(
      `import: ${m.file}:${e.line}:${e.column}: the SQL does not parse: ${e.message}`,
      'Nothing was written. Fix the SQL (or render its templates) and import again.',
    );
  }
  const top = statements.filter((s) => !s.inDoBlock);
  const outcomes: StatementOutcome[] = [];
  const alembic: AlembicMove[] = [];
  const at = (s: ScriptStatement) => lineCol(m.sql, s.start).line;
  const isTx = (s: ScriptStatement | undefined, kinds: string[]) =>
    s?.type === 'TransactionStmt' && kinds.includes(String(s.node.kind));
  // BEGIN; … COMMIT; around the whole file (Alembic's offline SQL) is the generator's: each step
  // runs in its own transaction instead.
  const wrapped =
    isTx(top[0], ['TRANS_STMT_BEGIN', 'TRANS_STMT_START']) && isTx(top[top.length - 1], ['TRANS_STMT_COMMIT']);
  const scaffolding = (s: ScriptStatement, reason: string) =>
    outcomes.push({ migration: m.name, sql: s.text, line: at(s), result: 'scaffolding', steps: [], reason });
  for (let i = 0; i < top.length; i++) {
    const s = top[i];
    if (wrapped && (i === 0 || i === top.length - 1)) {
      scaffolding(s, 'the transaction around the whole file: each step runs in its own');
      continue;
    }
    if (isTx(s, ['TRANS_STMT_BEGIN', 'TRANS_STMT_START'])) {
      // A transaction inside the file (Prisma recreates an enum this way): kept together, in contract.
      let j = i + 1;
      while (j < top.length && !isTx(top[j], ['TRANS_STMT_COMMIT'])) j++;
      const body = top.slice(i + 1, j).map((x) => `${x.text.replace(/;\s*$/, '')};`);
      const reason =
        'statements the migration runs in one transaction (Prisma recreates an enum this way): kept together, in contract — a type change rewrites the table under an exclusive lock';
      if (body.length)
        outcomes.push({
          migration: m.name,
          sql: body.join('\n'),
          line: at(s),
          result: 'sql',
          steps: [sqlStep(body.join('\n'), 'contract', reason)],
          reason,
        });
      i = j;
      continue;
    }
    if (isAlembicVersion(s)) {
      const move = alembicMove(s.text);
      if (move) alembic.push(move);
      scaffolding(s, "Alembic's own bookkeeping: the plan's records keep alembic_version instead");
      continue;
    }
    if (s.type === 'DoStmt') {
      const inner = statements.filter((x) => x.inDoBlock && x.start >= s.start && x.end <= s.end);
      if (inner.length === 1 && DUPLICATE_OBJECT_WRAPPER.test(s.text.replace(/\$[A-Za-z_]*\$\s*;?\s*$/, '').trim())) {
        const r = mapStatement(inner[0].text, available, state);
        outcomes.push({
          migration: m.name,
          sql: s.text,
          line: at(s),
          result: r.kept ? 'sql' : 'mapped',
          steps: r.steps,
          reason: `drizzle's DO … duplicate_object wrapper, unwrapped${r.reason ? `; ${r.reason}` : ': the operation is itself safe to rerun'}`,
        });
        continue;
      }
      const reason = 'a DO block: procedural code no operation can express, kept as written';
      outcomes.push({
        migration: m.name,
        sql: s.text,
        line: at(s),
        result: 'sql',
        steps: [sqlStep(s.text, 'expand', reason, s.node)],
        reason,
      });
      continue;
    }
    const r = mapStatement(s.text, available, state);
    outcomes.push({
      migration: m.name,
      sql: s.text,
      line: at(s),
      result: r.kept ? 'sql' : 'mapped',
      steps: r.steps,
      reason: r.reason,
    });
  }
  return { outcomes, alembic };
}
