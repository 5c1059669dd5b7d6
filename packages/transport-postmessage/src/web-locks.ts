/**
 * `webLocksLock()`: a core `LockFn` on the Web Locks API, so two tabs (or a
 * tab and a worker) of one origin syncing the same peer on the same
 * IndexedDB take turns.
 *
 * Without it, the engine's default lock serialises work only inside one
 * JavaScript context. Two contexts then each read the state, verify and
 * write: every pack either writes is fully verified, so nothing forged or
 * unsigned is ever stored, and a repeated pack is a no-op. But a slow tab
 * finishing an older pack after a fast tab applied a newer one writes its
 * older anchors and seq over the newer ones (with slow writes it happened
 * in every trial run): a revocation can read as undone until the next sync
 * re-applies it. So use this wherever `navigator.locks` exists (every
 * current browser), and where it does not, let one context sync (e.g. a
 * worker or the key manager frame) and the others only read.
 */
import { AnchorSyncError, type LockFn } from '@anchorsync/core';

/** The part of `navigator.locks` (a LockManager) used here. */
export interface LockManagerLike {
  request(name: string, callback: (lock: unknown) => unknown): Promise<unknown>;
}

export interface WebLocksOptions {
  /** The lock manager; default `navigator.locks` when the platform has one. */
  locks?: LockManagerLike;
}

/** `navigator.locks`, or `undefined` where there is no such thing (Node, old browsers, opaque origins). */
function platformLocks(): LockManagerLike | undefined {
  try {
    const locks = (globalThis as { navigator?: { locks?: unknown } }).navigator?.locks as Partial<LockManagerLike> | undefined;
    return typeof locks?.request === 'function' ? (locks as LockManagerLike) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A LockFn on Web Locks (exclusive locks named by core, e.g.
 * `anchorsync:peer:prod:org-a`), or `undefined` when the platform has none.
 * Locks are scoped like IndexedDB (per origin, and per top-level site where
 * storage is partitioned), which is exactly the set of contexts sharing one
 * database.
 *
 * @throws {AnchorSyncError} from the returned LockFn: `ERR_STORAGE` when the
 * lock manager refuses the request; the task's own errors pass through.
 * @example
 * ```ts
 * const lock = webLocksLock() // undefined without Web Locks: the engine's default lock applies
 * await runAnchorSync({ storage, transport, peers, ...(lock ? { lock } : {}) })
 * ```
 */
export function webLocksLock(options: WebLocksOptions = {}): LockFn | undefined {
  const locks = options.locks ?? platformLocks();
  if (!locks || typeof locks.request !== 'function') return undefined;
  return async <T>(name: string, task: () => Promise<T>): Promise<T> => {
    let started = false;
    let outcome: { value: T } | { error: unknown } | undefined;
    try {
      await locks.request(name, async () => {
        started = true;
        try {
          outcome = { value: await task() };
        } catch (error) {
          outcome = { error };
        }
      });
    } catch (cause) {
      if (!started) throw new AnchorSyncError('ERR_STORAGE', `could not take the Web Lock ${name}`, { cause });
      throw cause;
    }
    if (!outcome) throw new AnchorSyncError('ERR_STORAGE', `the Web Lock ${name} was released before its task ran`);
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  };
}
