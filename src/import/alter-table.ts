/**
 * `ALTER TABLE … cmd, cmd…` → one mapping per command. Commands no operation takes stay as
 * `ALTER TABLE <table> <command>` on their own, so the rest of the statement is still mapped.
 */
import { type AlterCmd, asColumnDef, asConstraint, type ConstraintNode, type RangeVar, strings } from '../lint/ast.js';
import { mapAddColumn } from './add-column.js';
import { type Mapping, mapConstraint } from './constraint.js';
import type { ImportedStep, ImportPhase } from './model.js';
import { kebab, key, qualified, relation } from './names.js';
import type { SourceText } from './source-text.js';

/** Which builders this Tidemark has (`op.changeType`, `op.renameColumn`… arrive in newer versions). */
export type Available = (builder: string) => boolean;

/** What the migrations read so far created: enum types by name (`Intent`, `public.Intent`). */
export interface ImportState {
  enums: Set<string>;
}

/** What one command became: steps, or the SQL it stays as and why. */
export type CommandResult = { steps: ImportedStep[] } | { sql: string; reason: string; phase: ImportPhase };

const CATALOG_ONLY = new Set(['AT_DropNotNull', 'AT_ColumnDefault', 'AT_ValidateConstraint']);

/** Map every command of an `ALTER TABLE`; `undefined` when its text cannot be cut per command. */
export function mapAlterTable(src: SourceText, available: Available, state: ImportState): CommandResult[] | undefined {
  const rv = src.node.relation as RangeVar | undefined;
  const cmds = ((src.node.cmds as { AlterTableCmd: AlterCmd & Record<string, unknown> }[]) ?? []).map(
    (c) => c.AlterTableCmd,
  );
  if (!rv || src.node.objtype !== 'OBJECT_TABLE' || !cmds.length) return undefined;
  const r = src.tokenAt(rv.location ?? 0);
  const first = r + (rv.schemaname ? 3 : 1);
  const pieces = src.splitTopLevel(first);
  if (pieces.length !== cmds.length) return undefined;
  const head = src.slice(0, src.tokens[first]?.start ?? 0);
  return cmds.map((cmd, i) => {
    const { start, end } = pieces[i];
    const text = `${head} ${src.slice(start, end)}`;
    const keep = (reason: string, phase: ImportPhase = 'expand'): CommandResult => ({ sql: text, reason, phase });
    const m = mapCommand(src, rv, cmd, start, end, available, state);
    if ('keep' in m) return keep(m.keep, 'phase' in m ? m.phase : 'expand');
    return m;
  });
}

type CmdMapping = Mapping | { keep: string; phase: ImportPhase };

function mapCommand(
  src: SourceText,
  rv: RangeVar,
  cmd: AlterCmd & Record<string, unknown>,
  start: number,
  end: number,
  available: Available,
  state: ImportState,
): CmdMapping {
  const t = relation(rv);
  const cascade = cmd.behavior === 'DROP_CASCADE';
  switch (cmd.subtype) {
    case 'AT_AddColumn': {
      const col = asColumnDef(cmd.def);
      return col ? mapAddColumn(src, rv, col, start, end) : { keep: 'an ADD COLUMN without a column' };
    }
    case 'AT_AddConstraint': {
      const con = asConstraint(cmd.def);
      if (!con) return { keep: 'an ADD CONSTRAINT without a constraint' };
      return mapConstraint(src, rv, con as ConstraintNode & Record<string, unknown>, start, end);
    }
    case 'AT_DropColumn':
      if (cascade) return { keep: 'DROP COLUMN … CASCADE also drops what depends on the column', phase: 'contract' };
      return one(
        'op.dropColumn',
        kebab('drop', rv.relname, cmd.name),
        'contract',
        { table: t, column: cmd.name },
        {
          drops: [key.column(rv, cmd.name ?? '')],
        },
      );
    case 'AT_DropConstraint':
      if (cascade) return { keep: 'DROP CONSTRAINT … CASCADE also drops what depends on it', phase: 'contract' };
      return one(
        'op.dropConstraint',
        kebab('drop', cmd.name),
        'contract',
        { table: t, name: cmd.name },
        {
          drops: [key.constraint(rv, cmd.name ?? '')],
        },
      );
    case 'AT_SetNotNull':
      return one(
        'op.setNotNull',
        kebab('not-null', rv.relname, cmd.name),
        'contract',
        { table: t, column: cmd.name },
        {
          uses: [key.column(rv, cmd.name ?? '')],
        },
      );
    case 'AT_AlterColumnType':
      return mapChangeType(src, rv, cmd, start, end, available, state);
    default:
      if (CATALOG_ONLY.has(cmd.subtype))
        return { keep: 'safe as written: a catalog-only change, no scan and no rewrite' };
      return { keep: `no safe operation for ALTER TABLE … ${cmd.subtype.replace(/^AT_/, '')}` };
  }
}

function one(
  builder: string,
  idHint: string,
  phase: ImportPhase,
  options: Record<string, unknown>,
  deps: Pick<ImportedStep, 'creates' | 'drops' | 'uses'>,
): Mapping {
  return { steps: [{ builder, idHint, phase, options, ...deps }] };
}

/** `ALTER COLUMN c [SET DATA] TYPE t [USING e]` → `op.changeType` (shadow column, batched fill, short swap). */
function mapChangeType(
  src: SourceText,
  rv: RangeVar,
  cmd: AlterCmd & Record<string, unknown>,
  start: number,
  end: number,
  available: Available,
  state: ImportState,
): CmdMapping {
  const toEnum = convertToEnum(src, rv, cmd, start, end, state);
  if (toEnum) return toEnum;
  if (!available('op.changeType'))
    return {
      keep: 'a type change rewrites the table under an exclusive lock; this Tidemark has no op.changeType yet to do it online',
    };
  const from = src.tokenAt(start);
  const limit = src.tokenAt(end);
  const typeAt = src.find('TYPE', from, limit);
  if (typeAt < 0) return { keep: 'the new type could not be read' };
  const usingAt = src.find('USING', typeAt + 1, limit);
  const collateAt = src.find('COLLATE', typeAt + 1, limit);
  if (collateAt >= 0) return { keep: 'a type change with COLLATE has no op.changeType option' };
  const typeEnd = usingAt >= 0 ? src.tokens[usingAt].start : end;
  const type = src.slice(src.tokens[typeAt + 1]?.start ?? end, typeEnd);
  const using = usingAt >= 0 ? src.slice(src.tokens[usingAt].end, end) : undefined;
  return one(
    'op.changeType',
    kebab('type', rv.relname, cmd.name),
    'expand',
    { table: relation(rv), column: cmd.name, type, ...(using ? { using } : {}) },
    { uses: [key.column(rv, cmd.name ?? '')] },
  );
}

/**
 * `ALTER COLUMN c TYPE "Enum" USING (c::text::"Enum")` to an enum the migrations create — Prisma's
 * way of turning a text column into an enum — → `op.convertToEnum`: it checks every value first and
 * goes through a shadow column above a size threshold.
 */
function convertToEnum(
  src: SourceText,
  rv: RangeVar,
  cmd: AlterCmd & Record<string, unknown>,
  start: number,
  end: number,
  state: ImportState,
): Mapping | undefined {
  const def = asColumnDef(cmd.def);
  const parts = strings(def?.typeName?.names);
  const name = parts.join('.');
  if (!parts.length || !(state.enums.has(name) || state.enums.has(parts[parts.length - 1]))) return undefined;
  if (def?.typeName?.arrayBounds?.length) return undefined;
  const limit = src.tokenAt(end);
  const usingAt = src.find('USING', src.tokenAt(start), limit);
  if (usingAt >= 0) {
    const using = src.slice(src.tokens[usingAt].end, end).replace(/\s+/g, '');
    const col = `"?${escapeRegExp(cmd.name ?? '')}"?`;
    const target = `"?${escapeRegExp(parts[parts.length - 1])}"?`;
    if (!new RegExp(`^\\(?${col}::text::(?:"?\\w+"?\\.)?${target}\\)?$`, 'i').test(using)) return undefined;
  }
  return {
    steps: [
      {
        builder: 'op.convertToEnum',
        idHint: kebab('to-enum', rv.relname, cmd.name),
        phase: 'expand',
        options: { table: relation(rv), column: cmd.name, enum: qualified(parts) },
        uses: [key.column(rv, cmd.name ?? ''), key.type(parts)],
      },
    ],
  };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
