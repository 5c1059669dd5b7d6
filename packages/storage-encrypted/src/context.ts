/**
 * What the wrapper and its key rotation share: the inner driver, the
 * keyrings in read order (current key first, then `previousKeys` newest
 * first), a per-name lock, and where a real name currently lives.
 */
import { AnchorSyncError, isAnchorSyncError, processLock, type JsonValue, type LockFn, type RandomSource, type StorageDriver } from '@anchorsync/core';
import { open, seal, type Sealed } from './envelope.ts';
import { blindName, type Keyring } from './keyring.ts';
import type { SessionCheck } from './session-check.ts';

export interface Context {
  inner: StorageDriver;
  /** `[current, ...previous]`: the order reads prefer copies in. */
  rings: readonly [Keyring, ...Keyring[]];
  random: RandomSource;
  lock: LockFn;
  check: SessionCheck | undefined;
  /** Inner name -> real name, for names this instance derived or authenticated. */
  names: Map<string, string>;
}

export interface Located {
  ring: Keyring;
  innerName: string;
  sealed: Sealed;
}

/** Runs an inner-driver call; a failure that is not already typed becomes `ERR_STORAGE`. */
export async function io<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (cause) {
    if (isAnchorSyncError(cause)) throw cause;
    throw new AnchorSyncError('ERR_STORAGE', `encrypted storage: inner ${what} failed`, { cause });
  }
}

export function makeLock(inner: StorageDriver): LockFn {
  // Shared by every wrapper over the same inner driver in this process, so a
  // rotation and a write of the same name never interleave.
  const lock = processLock(inner);
  return (name, task) => lock(`anchorsync:encrypted:${name}`, task);
}

/**
 * The copy of `name` a read returns: the first key in read order that holds
 * one. A copy that fails authentication is refused, never skipped, so an
 * attacker cannot uncover an older copy under a previous key by spoiling
 * the newer one. Call it under the name's lock.
 */
export async function locate(ctx: Context, name: string): Promise<Located | undefined> {
  for (const ring of ctx.rings) {
    const innerName = blindName(ring, name);
    const stored = await io('get', () => ctx.inner.get(innerName));
    if (stored === undefined) continue;
    const sealed = open(ring, innerName, stored, name);
    ctx.names.set(innerName, name);
    return { ring, innerName, sealed };
  }
  return undefined;
}

/** Encrypts a value's JSON text under the current key and writes it. */
export async function writeCurrent(ctx: Context, name: string, s: number | undefined, text: string): Promise<void> {
  const ring = ctx.rings[0];
  const innerName = blindName(ring, name);
  const envelope: JsonValue = seal(ring, innerName, name, s, text, ctx.random);
  await io('set', () => ctx.inner.set(innerName, envelope));
  ctx.names.set(innerName, name);
}
