/**
 * Whether a data change's `WHERE` bounds it by shape (without a database): an equality (or `IN`
 * list) on a key-like column, a key range, `ctid`, a subquery with `LIMIT`, or `CURRENT OF`. Anything
 * else — `WHERE upvotes > 0 AND downvotes > 0`, `WHERE status IS NULL` — may touch most of the table
 * in one statement. A key-like column is `id`, `…_id`, `…Id`, `uuid`, `ctid`, or one that a
 * statement earlier in the file made a primary key or unique. See docs/rules/unbatched-data-change.md.
 */
import type { Node } from './ast.js';

const KEY_LIKE = /^(id|uuid|ctid|pk)$|_(id|uuid|key|pk)$|[a-z0-9](Id|ID|Uuid|Key)$/;

function columnName(n: Node | undefined): string | undefined {
  const fields = (n?.ColumnRef as { fields?: { String?: { sval?: string } }[] } | undefined)?.fields;
  return fields?.[fields.length - 1]?.String?.sval;
}

/** A constant, a parameter, or a cast of one (`'x'::uuid`, `$1`). */
function isValue(n: Node | undefined): boolean {
  if (!n) return false;
  if (n.A_Const || n.ParamRef) return true;
  if (n.TypeCast) return isValue((n.TypeCast as Node).arg as Node);
  if (n.FuncCall) return true; // now(), gen_random_uuid(): one value
  return false;
}

function opName(e: Node): string | undefined {
  return ((e.name as Node[] | undefined)?.[0]?.String as { sval?: string } | undefined)?.sval;
}

function bounded(n: Node | undefined, keys: ReadonlySet<string>): boolean {
  if (!n) return false;
  const keyLike = (c: string | undefined) => !!c && (KEY_LIKE.test(c) || keys.has(c));
  if (n.BoolExpr) {
    const b = n.BoolExpr as { boolop: string; args: Node[] };
    if (b.boolop === 'AND_EXPR') return b.args.some((a) => bounded(a, keys));
    if (b.boolop === 'OR_EXPR') return b.args.every((a) => bounded(a, keys));
    return false;
  }
  if (n.CurrentOfExpr) return true;
  if (n.SubLink) {
    const s = n.SubLink as { subLinkType: string; testexpr?: Node; subselect?: Node };
    const sel = s.subselect?.SelectStmt as Node | undefined;
    return s.subLinkType === 'ANY_SUBLINK' && (!!sel?.limitCount || keyLike(columnName(s.testexpr)));
  }
  if (n.A_Expr) {
    const e = n.A_Expr as Node & { kind: string; lexpr?: Node; rexpr?: Node };
    const l = columnName(e.lexpr);
    const r = columnName(e.rexpr);
    const op = opName(e);
    if (e.kind === 'AEXPR_OP' && op === '=') {
      if (keyLike(l) && (isValue(e.rexpr) || !!e.rexpr?.SubLink)) return true;
      if (keyLike(r) && (isValue(e.lexpr) || !!e.lexpr?.SubLink)) return true;
      return false;
    }
    if (e.kind === 'AEXPR_OP' && ['<', '<=', '>', '>='].includes(op ?? '')) return keyLike(l) || keyLike(r);
    if (e.kind === 'AEXPR_IN') return keyLike(l);
    if (e.kind.startsWith('AEXPR_BETWEEN')) return keyLike(l);
    if (e.kind === 'AEXPR_OP_ANY' && op === '=') return keyLike(l);
  }
  return false;
}

/** True when `where` bounds the statement by shape; `keys`: columns known to be keys of its table. */
export function boundedByShape(where: Node | undefined, keys: ReadonlySet<string> = new Set()): boolean {
  return bounded(where, keys);
}
