/**
 * The optional session rollback check. Authentication cannot tell an old
 * valid envelope put back at its key from the current one: both are ours.
 * With the check on, every value carries a per-key write counter `s`, and
 * the wrapper remembers, in memory, the highest counter it has written or
 * read for each key and whether the key then existed. It refuses, with
 * `ERR_STORAGE_ROLLBACK`:
 * - a value whose counter is below the highest this instance wrote or read;
 * - a value at or below the counter of a value this instance deleted;
 * - a missing key that this instance last saw (or wrote) present.
 *
 * It holds only while this wrapper instance is the one writer of the store
 * and the store reads its own writes. It remembers nothing across restarts:
 * a store rolled back while the process was down reads as current. That is
 * what an external high-water mark (the engine's sync state) is for.
 */
import { AnchorSyncError } from '@anchorsync/core';

interface Seen {
  /** Highest counter written or read. */
  s: number;
  present: boolean;
}

function rollback(message: string): AnchorSyncError {
  return new AnchorSyncError('ERR_STORAGE_ROLLBACK', `encrypted storage: ${message}`);
}

export interface SessionCheck {
  /** Checks what a read found; `s` is undefined when the key is missing. */
  read(name: string, found: boolean, s: number | undefined): void;
  /** The counter for the next write of `name`; `stored` reads the current one when not yet known. */
  next(name: string, stored: () => Promise<number | undefined>): Promise<number>;
  wrote(name: string, s: number): void;
  /** Records a delete; `stored` reads the counter of what is deleted when not yet known. */
  deleting(name: string, stored: () => Promise<number | undefined>): Promise<void>;
}

/** Makes the in-memory check for one wrapper instance. */
export function sessionCheck(): SessionCheck {
  const seen = new Map<string, Seen>();
  const known = async (name: string, stored: () => Promise<number | undefined>): Promise<number> => {
    const entry = seen.get(name);
    if (entry) return entry.s;
    const s = (await stored()) ?? 0;
    return seen.get(name)?.s ?? s;
  };
  return {
    read(name, found, s) {
      const entry = seen.get(name);
      const counter = s ?? 0;
      if (entry && found && counter < entry.s) throw rollback(`a value older than one this session saw came back (counter ${counter} < ${entry.s})`);
      if (entry && found && !entry.present && counter === entry.s) throw rollback('a value this session deleted came back');
      if (entry && !found && entry.present) throw rollback('a value this session saw has disappeared');
      if (found) seen.set(name, { s: Math.max(counter, entry?.s ?? 0), present: true });
    },
    async next(name, stored) {
      return (await known(name, stored)) + 1;
    },
    wrote(name, s) {
      seen.set(name, { s: Math.max(s, seen.get(name)?.s ?? 0), present: true });
    },
    async deleting(name, stored) {
      let s: number;
      try {
        s = await known(name, stored);
      } catch {
        // An unreadable value may still be deleted; its counter is lost, and the next write counts on from what was known.
        s = seen.get(name)?.s ?? 0;
      }
      seen.set(name, { s, present: false });
    },
  };
}
