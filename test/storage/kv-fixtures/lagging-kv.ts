/**
 * A lagging KV replica, for the one fault local workerd cannot produce: a
 * read served from a location whose cache still holds an older value (KV is
 * eventually consistent; other locations may read a key's old value for
 * ~60 s). It wraps a real namespace: every write goes through, and only the
 * reads of the keys told to lag return the value they had when captured.
 * Framework-free, so it runs in Node and inside workerd.
 */
import type { KVListPageLike, KVNamespaceLike } from '@anchorsync/storage-cloudflare-kv';

export interface LaggingKv {
  /** Pass this to `kvStorage`. */
  namespace: KVNamespaceLike;
  /** The current text of `keys` in the real namespace (null: absent). */
  capture(keys: readonly string[]): Promise<Map<string, string | null>>;
  /**
   * From now on, reads of the captured keys return the captured text.
   * `readYourWrites`: a write through this wrapper to a lagging key ends its
   * lag (KV's usual, not guaranteed, behaviour in the writing location).
   */
  lag(captured: Map<string, string | null>, options?: { readYourWrites?: boolean }): void;
  /** The replica catches up: every read is fresh again. */
  catchUp(): void;
  /** Every write since creation, in order (`text` null for a delete). */
  writes: { key: string; text: string | null }[];
  /** How many reads returned a lagging value. */
  staleReads(): number;
}

/** Wraps a real KV namespace in a replica whose chosen keys can lag. */
export function laggingKv(real: KVNamespaceLike): LaggingKv {
  let stale = new Map<string, string | null>();
  let readYourWrites = false;
  let served = 0;
  const writes: { key: string; text: string | null }[] = [];
  const wrote = (key: string, text: string | null) => {
    writes.push({ key, text });
    if (readYourWrites) stale.delete(key);
  };
  const namespace: KVNamespaceLike = {
    async get(key, type) {
      if (stale.has(key)) {
        served++;
        return stale.get(key)!;
      }
      return real.get(key, type);
    },
    async put(key, value) {
      await real.put(key, value);
      wrote(key, value);
    },
    async delete(key) {
      await real.delete(key);
      wrote(key, null);
    },
    list(options): Promise<KVListPageLike> {
      return real.list(options);
    },
  };
  return {
    namespace,
    async capture(keys) {
      const out = new Map<string, string | null>();
      for (const key of keys) out.set(key, await real.get(key, 'text'));
      return out;
    },
    lag(captured, options = {}) {
      stale = new Map(captured);
      readYourWrites = options.readYourWrites === true;
    },
    catchUp() {
      stale = new Map();
    },
    writes,
    staleReads: () => served,
  };
}
