/**
 * The optional session rollback check. Authentication cannot tell an old
 * valid envelope put back at its key from the current one: both are ours.
 * With the check on, the wrapper remembers, in memory, which envelope (by
 * its IV, unique per write) each name held when this instance last read or
 * wrote it, or that the name was missing or deleted, and refuses with
 * `ERR_STORAGE_ROLLBACK` a read that finds anything else: an older
 * envelope, a deleted value come back, a value gone missing.
 *
 * It holds only while this wrapper instance is the one writer of the store
 * and the store reads its own writes; another writer's changes read as
 * rollbacks. It remembers nothing across restarts: a store rolled back while
 * the process was down reads as current. That is what an external
 * high-water mark (the engine's `highWater` store) is for.
 */
import { AnchorSyncError } from '@anchorsync/core';

/**
 * Per real name: the IV of the envelope last read or written, `undefined`
 * once found missing or deleted. A write or delete forgets the name first
 * and records it only once it has succeeded, so a write that failed half-way
 * (it may or may not have landed) raises no false alarm.
 */
export type Seen = Map<string, string | undefined>;

/**
 * Checks a read: `name` holds the envelope with IV `n`, or nothing.
 *
 * @throws {AnchorSyncError} `ERR_STORAGE_ROLLBACK` when this instance last saw something else there.
 */
export function checkRead(seen: Seen | undefined, name: string, n: string | undefined): void {
  if (seen?.has(name) && seen.get(name) !== n) {
    throw new AnchorSyncError('ERR_STORAGE_ROLLBACK', 'encrypted storage: a value changed behind this session');
  }
  seen?.set(name, n);
}
