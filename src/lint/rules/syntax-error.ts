/**
 * `syntax-error`: the script does not parse with PostgreSQL's own parser. Reported by the engine
 * (nothing else in the script can be checked), never suppressible by a comment in the same script.
 */
import type { SqlRule } from '../rule.js';

/** The rule. */
export const rule = {
  kind: 'sql',
  id: 'syntax-error',
  types: [],
  level: 'error',
  summary: 'the SQL does not parse',
  check() {
    /* reported by the engine when parsing fails */
  },
} satisfies SqlRule;
