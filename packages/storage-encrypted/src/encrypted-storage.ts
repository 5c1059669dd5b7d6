/**
 * `encryptedStorage(driver, { key })`: a StorageDriver that encrypts and
 * authenticates every value and blinds every key name before the inner
 * driver sees it (DESIGN.md "Storage keys").
 */
import { AnchorSyncError, defaultRandom, type RandomSource, type StorageDriver } from '@anchorsync/core';
import { io, locate, makeLock, writeCurrent, type Context } from './context.ts';
import { open, tampered, valueText } from './envelope.ts';
import { blindName, blindPrefix, deriveKeyring } from './keyring.ts';
import { rotate, type RotateOptions, type RotationReport } from './rotate.ts';
import { sessionCheck } from './session-check.ts';

export interface EncryptedStorageOptions {
  /** The 32-byte master key. New values are written under it. */
  key: Uint8Array;
  /**
   * Keys that may still hold values, newest first: reads fall back to them
   * until `rotate()` has moved everything under `key`.
   */
  previousKeys?: readonly Uint8Array[];
  /** Randomness for nonces; default `crypto.getRandomValues`. Pass a CSPRNG. */
  random?: RandomSource;
  /**
   * Refuse, with `ERR_STORAGE_ROLLBACK`, a value older than one this
   * instance wrote or read (see `session-check.ts` for exactly what it
   * covers). Only for a single writer on a read-your-writes store; nothing
   * is remembered across restarts. A value that fails authentication must
   * then be deleted before it can be overwritten. Default off.
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
  if (typeof name !== 'string') throw new AnchorSyncError('ERR_INVALID_ARGUMENT', `${what} must be a string`);
  return name;
}

function context(inner: StorageDriver, options: EncryptedStorageOptions): Context {
  if (typeof options !== 'object' || options === null) throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'options with a key are required');
  const previous = options.previousKeys ?? [];
  if (!Array.isArray(previous)) throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'previousKeys must be an array');
  const rings = [deriveKeyring(options.key), ...previous.map((k, i) => deriveKeyring(k, `previousKeys[${i}]`))] as const;
  // The same key twice would make rotation delete the copy it just wrote.
  if (new Set(rings.map((r) => r.tag)).size !== rings.length) {
    throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'key and previousKeys must all be different keys');
  }
  const random = options.random ?? defaultRandom;
  if (typeof random !== 'function') throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'random must be a function');
  return { inner, rings, random, lock: makeLock(inner), check: options.sessionRollbackCheck === true ? sessionCheck() : undefined, names: new Map() };
}

/**
 * Wraps `driver` so it stores only `{ v: 1, n, c }` envelopes under blinded
 * names. Reads refuse anything not written under one of the keys for that
 * exact name: `ERR_STORAGE_TAMPERED` when authentication fails,
 * `ERR_STORAGE_CORRUPT` when what is stored is not an envelope at all.
 * `list(prefix)` takes only `''` or a prefix ending in `:`.
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` for a key that is not 32
 * bytes or a repeated key.
 * @example
 * ```ts
 * const storage = encryptedStorage(idbStorage(), { key: masterKey })
 * await runAnchorSync({ storage, transport, peers })
 * // later: new key, old one kept for reads until rotation is done
 * const next = encryptedStorage(idbStorage(), { key: newKey, previousKeys: [masterKey] })
 * await next.rotate()
 * ```
 */
export function encryptedStorage(driver: StorageDriver, options: EncryptedStorageOptions): EncryptedStorage {
  const ctx = context(driver, options);
  const { inner, rings, lock, check } = ctx;

  const storedCounter = async (name: string): Promise<number | undefined> => (await locate(ctx, name))?.sealed.s;

  return {
    async get(key) {
      const name = checkName(key);
      return lock(name, async () => {
        const found = await locate(ctx, name);
        check?.read(name, found !== undefined, found?.sealed.s);
        return found?.sealed.v;
      });
    },
    async set(key, value) {
      const name = checkName(key);
      const text = valueText(value);
      return lock(name, async () => {
        const s = check ? await check.next(name, () => storedCounter(name)) : undefined;
        await writeCurrent(ctx, name, s, text);
        if (check && s !== undefined) check.wrote(name, s);
      });
    },
    async delete(key) {
      const name = checkName(key);
      return lock(name, async () => {
        await check?.deleting(name, () => storedCounter(name));
        // Previous keys first: stopping half-way must not uncover an older copy.
        for (const ring of [...rings.slice(1), rings[0]]) {
          await io('delete', () => inner.delete(blindName(ring, name)));
        }
      });
    },
    async list(prefix) {
      const real = checkName(prefix, 'prefix');
      const found = new Set<string>();
      for (const ring of rings) {
        const innerPrefix = blindPrefix(ring, real);
        for (const innerName of await io('list', () => inner.list(innerPrefix))) {
          let name = ctx.names.get(innerName);
          if (name === undefined) {
            const stored = await io('get', () => inner.get(innerName));
            if (stored === undefined) continue; // deleted since the list
            name = open(ring, innerName, stored).k;
            ctx.names.set(innerName, name);
          }
          if (!name.startsWith(real)) throw tampered('listed value names a key outside the prefix', innerName);
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
