/**
 * Serialises work on one peer's records so two syncs (or a sync and a
 * publish) of the same peer on the same storage never interleave their
 * read-merge-write and lose an update.
 */
import type { StorageDriver } from './storage.ts';

/**
 * Runs `task` while holding the lock `name`. Browsers can pass one built on
 * the Web Locks API to coordinate tabs; the default works within one JavaScript context.
 */
export type LockFn = <T>(name: string, task: () => Promise<T>) => Promise<T>;

const tails = new WeakMap<StorageDriver, Map<string, Promise<unknown>>>();

/** An in-process lock per (storage, name): tasks on the same name run one after another. */
export function processLock(storage: StorageDriver): LockFn {
  return async <T>(name: string, task: () => Promise<T>): Promise<T> => {
    let byName = tails.get(storage);
    if (!byName) tails.set(storage, (byName = new Map()));
    const previous = byName.get(name) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    byName.set(name, tail);
    try {
      return await run;
    } finally {
      if (byName.get(name) === tail) byName.delete(name);
    }
  };
}

/** The lock name of a peer. */
export function peerLockName(ns: string, orgId: string): string {
  return `anchorsync:peer:${ns}:${orgId}`;
}
