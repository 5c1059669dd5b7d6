/**
 * A fault-injecting StorageDriver wrapper for crash-safety tests. It wraps a
 * REAL driver (memory, IndexedDB, KV, encrypted, ...), counts every write
 * (`set` and `delete`) and makes the Nth one fail:
 *
 * - `mode: 'fail'` (default): the write does not happen and the call throws,
 *   as when a process dies or a disk refuses before the write lands.
 * - `mode: 'torn'`: the write happens and then the call throws, as when a
 *   process dies after the backend committed but before the caller learnt it.
 *
 * Only the Nth write fails; the ones after it go through, so a test can "run
 * again without the fault" on the same store. Reads are never counted.
 * `afterWrite` runs after every write that reached the inner driver
 * (including the torn one), so a test can look at the store between any two
 * writes. Several wrappers can share one `counter` so that one numbering runs
 * across two stores (e.g. main storage and a high-water store).
 */
import type { JsonValue, StorageDriver } from '@anchorsync/core';

/** Where the numbering of writes lives; share one between wrappers to count across stores. */
export interface WriteCounter {
  /** Writes attempted so far (the failing one included). */
  writes: number;
  /** The write number that failed, once it has. */
  failedAt?: number;
}

export interface WriteEvent {
  /** 1-based number of this write in the counter's numbering. */
  n: number;
  op: 'set' | 'delete';
  key: string;
  /** Whether this is the injected torn write (it landed, and the call will throw). */
  torn: boolean;
}

export interface FaultOptions {
  /** 1-based number of the write to fail; omitted: never fail, only count. */
  failAtWrite?: number;
  /** `fail`: the write does not happen. `torn`: it happens, then the call throws. */
  mode?: 'fail' | 'torn';
  /** Called after every write that reached the inner driver. */
  afterWrite?: (event: WriteEvent) => void | Promise<void>;
  /** A shared numbering; default: one of its own. */
  counter?: WriteCounter;
}

/** A StorageDriver with its write count exposed. */
export interface FaultyStorage extends StorageDriver {
  readonly counter: WriteCounter;
}

/** The error an injected fault throws: not an AnchorSyncError, as a real driver's would not be. */
export class InjectedFault extends Error {
  override readonly name = 'InjectedFault';
  constructor(
    readonly n: number,
    readonly op: 'set' | 'delete',
    readonly key: string,
    readonly torn: boolean,
  ) {
    super(`injected ${torn ? 'torn ' : ''}fault at write #${n} (${op} ${key})`);
  }
}

/**
 * Wraps `inner` so that write number `failAtWrite` fails.
 *
 * @example
 * ```ts
 * const counting = faultyStorage(memoryStorage())
 * await work(counting) // counting.counter.writes === W
 * for (let n = 1; n <= W; n++) {
 *   const store = faultyStorage(memoryStorage(), { failAtWrite: n, mode: 'torn' })
 *   await work(store).catch(() => {})
 *   await work(store) // must complete
 * }
 * ```
 */
export function faultyStorage(inner: StorageDriver, options: FaultOptions = {}): FaultyStorage {
  const counter = options.counter ?? { writes: 0 };
  const mode = options.mode ?? 'fail';
  async function write(op: 'set' | 'delete', key: string, run: () => Promise<void>): Promise<void> {
    const n = ++counter.writes;
    const inject = options.failAtWrite === n;
    if (inject) counter.failedAt = n;
    if (inject && mode === 'fail') throw new InjectedFault(n, op, key, false);
    await run();
    await options.afterWrite?.({ n, op, key, torn: inject });
    if (inject) throw new InjectedFault(n, op, key, true);
  }
  return {
    counter,
    get: (key) => inner.get(key),
    list: (prefix) => inner.list(prefix),
    set: (key: string, value: JsonValue) => write('set', key, () => inner.set(key, value)),
    delete: (key: string) => write('delete', key, () => inner.delete(key)),
  };
}
