/**
 * What the wrapper and its key rotation share: the inner driver, the
 * keyrings in read order (current key first, then `previousKeys` newest
 * first), a per-name lock, and where a real name currently lives.
 */
import { AnchorSyncError, isAnchorSyncError, type LockFn, type RandomSource, type StorageDriver } from '@anchorsync/core';
import { open, seal, type Sealed } from './envelope.ts';
import { blind, type Keyring } from './keyring.ts';
import { checkRead, type Seen } from './session-check.ts';

/** `[current, ...previous]`: the order reads prefer copies in. */
export type Rings = readonly [Keyring, ...Keyring[]];

export interface Context {
  /** The inner driver, its failures typed (see `guarded`). */
  inner: StorageDriver;
  /** The keyrings, made on first use (WebCrypto is asynchronous). */
  rings(): Promise<Rings>;
  random: RandomSource;
  lock: LockFn;
  /** The session rollback check's memory, when it is on. */
  seen: Seen | undefined;
  /** Inner name -> real name, for names this instance derived or authenticated. */
  names: Map<string, string>;
}

export interface Located {
  ring: Keyring;
  sealed: Sealed;
}

/** `driver`, with every failure that is not already typed turned into `ERR_STORAGE` (cause kept). */
export function guarded(driver: StorageDriver): StorageDriver {
  const guard =
    (what: keyof StorageDriver) =>
    async (...args: unknown[]): Promise<never> => {
      try {
        return await (driver[what] as (...a: unknown[]) => Promise<never>)(...args);
      } catch (cause) {
        throw isAnchorSyncError(cause) ? cause : new AnchorSyncError('ERR_STORAGE', `encrypted storage: inner ${what} failed`, { cause });
      }
    };
  return { get: guard('get'), set: guard('set'), delete: guard('delete'), list: guard('list') };
}

/**
 * The copy of `name` a read returns: the first key in read order that holds
 * one. A copy that fails authentication is refused, never skipped, so an
 * attacker cannot uncover an older copy under a previous key by spoiling
 * the newer one. Call it under the name's lock.
 */
export async function locate(ctx: Context, name: string): Promise<Located | undefined> {
  for (const ring of await ctx.rings()) {
    const innerName = await blind(ring, name);
    const stored = await ctx.inner.get(innerName);
    if (stored === undefined) continue;
    const sealed = await open(ring, innerName, stored, name);
    ctx.names.set(innerName, name);
    checkRead(ctx.seen, name, (stored as { n: string }).n);
    return { ring, sealed };
  }
  checkRead(ctx.seen, name, undefined);
  return undefined;
}

/** Encrypts a value's JSON text under the current key and writes it. */
export async function writeCurrent(ctx: Context, name: string, text: string): Promise<void> {
  const [ring] = await ctx.rings();
  const innerName = await blind(ring, name);
  const envelope = await seal(ring, innerName, name, text, ctx.random);
  ctx.seen?.delete(name);
  await ctx.inner.set(innerName, envelope);
  ctx.names.set(innerName, name);
  ctx.seen?.set(name, envelope.n);
}

/** Deletes the copies of `name` under `rings`, in that order. */
export async function remove(ctx: Context, rings: readonly Keyring[], name: string): Promise<void> {
  for (const ring of rings) await ctx.inner.delete(await blind(ring, name));
}
