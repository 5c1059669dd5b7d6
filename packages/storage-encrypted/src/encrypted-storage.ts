/**
 * `encryptedStorage(driver, { key })`: a StorageDriver that encrypts and
 * authenticates every value and blinds every key name before the inner
 * driver sees it (DESIGN.md "Storage keys").
 */
import { defaultRandom, processLock, type RandomSource, type StorageDriver } from '@anchorsync/core';
import { guarded, locate, remove, writeCurrent, type Context, type Rings } from './context.ts';
import { open, valueText } from './envelope.ts';
import { blind, keyring } from './keyring.ts';
import { rotate, type RotateOptions, type RotationReport } from './rotate.ts';
import { checkKey, invalid, webCrypto, type EncryptedStorageKey } from './web-crypto.ts';

export interface EncryptedStorageOptions {
  /**
   * The key new values are written under: two CryptoKeys, best
   * non-extractable, from `generateEncryptedStorageKey()` or
   * `deriveEncryptedStorageKey(bytes)` (`@anchorsync/storage-encrypted/keys`).
   */
  key: EncryptedStorageKey;
  /**
   * Keys that may still hold values, newest first: reads fall back to them
   * until `rotate()` has moved everything under `key`.
   */
  previousKeys?: readonly EncryptedStorageKey[];
  /** Randomness for IVs (hedged, see envelope.ts); default `crypto.getRandomValues`. Pass a CSPRNG. */
  random?: RandomSource;
  /**
   * Refuse, with `ERR_STORAGE_ROLLBACK`, a read that does not find the
   * envelope this instance last read or wrote at that name (see
   * `session-check.ts` for exactly what it covers). Only for a single writer
   * on a read-your-writes store; nothing is remembered across restarts.
   * Default off.
   */
  sessionRollbackCheck?: boolean;
}

/** The wrapper: a StorageDriver plus key rotation. */
export interface EncryptedStorage extends StorageDriver {
  /**
   * Re-encrypts every value still under a previous key under the current
   * one. Safe to interrupt and to run again; reads see every value all along.
   */
  rotate(options?: RotateOptions): Promise<RotationReport>;
}

function checkName(name: unknown, what = 'key'): string {
  if (typeof name !== 'string') throw invalid(`${what} must be a string`);
  return name;
}

function context(driver: StorageDriver, options: EncryptedStorageOptions): Context {
  webCrypto();
  const previous = options?.previousKeys ?? [];
  if (!Array.isArray(previous)) throw invalid('previousKeys must be an array');
  const keys = [checkKey(options?.key), ...previous.map((k, i) => checkKey(k, `previousKeys[${i}]`))];
  const random = options.random ?? defaultRandom;
  if (typeof random !== 'function') throw invalid('random must be a function');
  let rings: Promise<Rings> | undefined;
  const derive = async (): Promise<Rings> => {
    const made = (await Promise.all(keys.map(keyring))) as unknown as Rings;
    // The same key twice would make rotation delete the copy it just wrote.
    if (new Set(made.map((r) => r.tag)).size !== made.length) throw invalid('a key is given twice');
    return made;
  };
  // Shared by every wrapper over the same inner driver in this process, so a
  // rotation and a write of the same name never interleave.
  const lock = processLock(driver);
  return {
    inner: guarded(driver),
    rings: () => (rings ??= derive()),
    random,
    lock: (name, task) => lock(`anchorsync:encrypted:${name}`, task),
    seen: options.sessionRollbackCheck === true ? new Map() : undefined,
    names: new Map(),
  };
}

/**
 * Wraps `driver` so it stores only `{ v: 2, n, c }` envelopes under blinded
 * names. Reads refuse anything not written under one of the keys for that
 * exact name: `ERR_STORAGE_TAMPERED` when authentication fails,
 * `ERR_STORAGE_CORRUPT` when what is stored is not an envelope of this
 * version at all. `list(prefix)` takes only `''` or a prefix ending in `:`.
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` for a key that is not an
 * `EncryptedStorageKey`, or where there is no WebCrypto; the first call made
 * rejects with it when one key is given twice.
 * @example
 * ```ts
 * import { generateEncryptedStorageKey } from '@anchorsync/storage-encrypted/keys'
 * const key = await generateEncryptedStorageKey() // keep it, e.g. in IndexedDB
 * const storage = encryptedStorage(idbStorage(), { key })
 * await runAnchorSync({ storage, transport, peers })
 * // later: a new key, the old one kept for reads until rotation is done
 * const next = encryptedStorage(idbStorage(), { key: newKey, previousKeys: [key] })
 * await next.rotate()
 * ```
 */
export function encryptedStorage(driver: StorageDriver, options: EncryptedStorageOptions): EncryptedStorage {
  const ctx = context(driver, options);
  const { inner, lock } = ctx;
  return {
    async get(key) {
      const name = checkName(key);
      return lock(name, async () => (await locate(ctx, name))?.sealed.v);
    },
    async set(key, value) {
      const name = checkName(key);
      const text = valueText(value);
      return lock(name, () => writeCurrent(ctx, name, text));
    },
    async delete(key) {
      const name = checkName(key);
      return lock(name, async () => {
        // Previous keys first: stopping half-way must not uncover an older copy.
        const [current, ...previous] = await ctx.rings();
        ctx.seen?.delete(name);
        await remove(ctx, [...previous, current], name);
        ctx.seen?.set(name, undefined);
      });
    },
    async list(prefix) {
      const real = checkName(prefix, 'prefix');
      const found = new Set<string>();
      for (const ring of await ctx.rings()) {
        for (const innerName of await inner.list(await blind(ring, real, true))) {
          let name = ctx.names.get(innerName);
          if (name === undefined) {
            const stored = await inner.get(innerName);
            if (stored === undefined) continue; // deleted since the list
            name = (await open(ring, innerName, stored)).k;
            ctx.names.set(innerName, name);
          }
          // open() checked that `name` blinds to `innerName`, which lies under the blinded prefix: so `name` lies under `real`.
          found.add(name);
        }
      }
      return [...found].sort();
    },
    async rotate(rotateOptions) {
      return rotate(ctx, rotateOptions);
    },
  };
}
