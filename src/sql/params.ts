/**
 * `$n` parameters for a statement being built: every value Tidemark puts into generated SQL goes
 * through {@link Params}, so values are never spliced into the text (docs/architecture.md).
 */

/** Binds a value as a `$n` parameter of the statement being built and returns its placeholder. */
export type Bind = (value: unknown) => string;

/** A growing parameter list that hands out `$n` placeholders in order. */
export class Params {
  readonly values: unknown[] = [];
  /** `start`: values already bound as `$1…$k` (the next placeholder is `$k+1`). */
  constructor(start: readonly unknown[] = []) {
    this.values.push(...start);
  }
  /** Add a value and return its placeholder. */
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
  /** {@link add} as a function, for builders that take a {@link Bind}. */
  readonly bind: Bind = (v) => this.add(v);
}
