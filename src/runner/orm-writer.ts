/** The contract of one ORM's history writer (docs/orm-records.md): write a record, undo it. */
import type { Queryable } from '../db/connection.js';
import type { OrmRecord } from '../model/plan.js';

export interface OrmWriter<R extends OrmRecord = OrmRecord> {
  /** The table written, for messages. */
  where: string;
  /**
   * Make the ORM's history say `r` is applied, inside the caller's transaction. `wrote` is false
   * when it already said so (nothing to undo then); `detail` is what {@link remove} needs.
   */
  write(c: Queryable, r: R): Promise<{ detail: Record<string, unknown>; wrote: boolean }>;
  /** Undo what {@link write} did; false when there was nothing left to undo. */
  remove(c: Queryable, detail: Record<string, unknown>, migration: string): Promise<boolean>;
}
