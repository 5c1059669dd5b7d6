/**
 * High-water marks: a defence against storage rollback. A restored backup,
 * or an attacker who puts back an older copy of the store, would bring back
 * an older sync state and with it keys that were revoked since. The engine
 * therefore records, per peer and in a SECOND store that is not restored
 * with the first (localStorage beside IndexedDB, a Durable Object beside KV,
 * another file), the highest {seq, hash} it accepted; a main store whose
 * state is below its mark is refused with `ERR_STORAGE_ROLLBACK`.
 *
 * The mark is written after the state it records, so a crash between the two
 * leaves a mark that lags (harmless: raised on the next run), never one ahead
 * of the state (which would read as a rollback).
 */
import { getSyncState } from './anchor-registry.ts';
import { b64uToBytes } from './encoding.ts';
import { AnchorSyncError } from './errors.ts';
import { guarded, type JsonValue, type StorageDriver } from './storage.ts';
import { formatTimestamp, parseTimestamp } from './time.ts';
import type { SyncState } from './types.ts';

/** The highest pack this client accepted from a peer. */
export interface HighWaterMark {
  seq: number;
  /** base64url SHA-256 of that pack's signing bytes. */
  hash: string;
  /** When it was recorded. */
  at: string;
}

/**
 * Key of a peer's mark in the high-water store.
 *
 * @example
 * ```ts
 * highWaterKey('prod', 'org-a') // 'fed:high-water:prod:org-a'
 * ```
 */
export const highWaterKey = (ns: string, orgId: string): string => `fed:high-water:${ns}:${orgId}`;

/**
 * The mark recorded for a peer, or `undefined` before its first.
 *
 * @throws {AnchorSyncError} `ERR_STORAGE_CORRUPT` for a malformed mark: a
 * mark we cannot read must not turn into no defence at all.
 * @example
 * ```ts
 * const mark = await readHighWater(highWater, 'prod', 'org-a') // { seq: 4, hash, at }
 * ```
 */
export async function readHighWater(highWater: StorageDriver, ns: string, orgId: string): Promise<HighWaterMark | undefined> {
  const raw = await guarded('get', () => highWater.get(highWaterKey(ns, orgId)));
  if (raw === undefined) return undefined;
  const m = (typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>;
  const { seq, hash, at } = m;
  const ok =
    Object.keys(m).length === 3 &&
    typeof seq === 'number' &&
    Number.isSafeInteger(seq) &&
    seq >= 1 &&
    typeof hash === 'string' &&
    b64uToBytes(hash)?.length === 32 &&
    typeof at === 'string' &&
    parseTimestamp(at) !== undefined;
  if (!ok) throw new AnchorSyncError('ERR_STORAGE_CORRUPT', `high-water mark of ${orgId} is malformed`, { details: { ns, orgId } });
  return { seq: seq as number, hash: hash as string, at: at as string };
}

/**
 * How a stored state compares with a mark: `undefined` when it is at or
 * beyond it, else why it is a rollback. A state missing while a mark exists,
 * below it, or at its seq with another hash (a different history put in its
 * place) are all rollbacks. A state beyond the mark is not: the mark lags
 * after a crash between the state write and its own.
 *
 * @example
 * ```ts
 * rollbackOf({ seq: 2, hash }, { seq: 4, hash: h4, at }) // 'behind'
 * ```
 */
export function rollbackOf(state: Pick<SyncState, 'seq' | 'hash'> | undefined, mark: HighWaterMark | undefined): 'missing' | 'behind' | 'forked' | undefined {
  if (!mark) return undefined;
  if (!state) return 'missing';
  if (state.seq < mark.seq) return 'behind';
  if (state.seq === mark.seq && state.hash !== mark.hash) return 'forked';
  return undefined;
}

/**
 * Refuses a main store whose sync state for (ns, orgId) is older than its
 * high-water mark. Returns the mark (or `undefined`).
 *
 * @param state the stored state when the caller has read it already.
 * @throws {AnchorSyncError} `ERR_STORAGE_ROLLBACK`; `ERR_INVALID_ARGUMENT`
 * when the high-water store is the main store itself (it would be restored
 * with it and defend nothing).
 * @example
 * ```ts
 * await assertNoRollback(storage, highWater, 'prod', 'org-a')
 * ```
 */
export async function assertNoRollback(
  storage: StorageDriver,
  highWater: StorageDriver,
  ns: string,
  orgId: string,
  state?: SyncState | null,
): Promise<HighWaterMark | undefined> {
  if (highWater === storage) throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'highWater must be a store apart from the main storage');
  const mark = await readHighWater(highWater, ns, orgId);
  const current = state === undefined ? await getSyncState(storage, ns, orgId) : (state ?? undefined);
  const why = rollbackOf(current, mark);
  if (why && mark) {
    const at = current ? `#${current.seq}` : 'no state';
    throw new AnchorSyncError(
      'ERR_STORAGE_ROLLBACK',
      `stored state of ${orgId} (${at}) is older than its high-water mark #${mark.seq} (${why}): the store was rolled back; see recoverFromRollback`,
      { details: { ns, orgId, seq: current?.seq ?? 0, mark: mark.seq, reason: why } },
    );
  }
  return mark;
}

/**
 * Records `state` as the peer's mark unless the known mark is already at or
 * beyond it. `known`: the mark the caller read (skips a read), `null` when it
 * knows there is none.
 *
 * @example
 * ```ts
 * await raiseHighWater(highWater, state, Date.now())
 * ```
 */
export async function raiseHighWater(
  highWater: StorageDriver,
  state: Pick<SyncState, 'ns' | 'orgId' | 'seq' | 'hash'>,
  now: number,
  known?: HighWaterMark | null,
): Promise<void> {
  const mark = known === undefined ? await readHighWater(highWater, state.ns, state.orgId) : (known ?? undefined);
  if (mark && mark.seq >= state.seq) return;
  const next: HighWaterMark = { seq: state.seq, hash: state.hash, at: formatTimestamp(now) };
  await guarded('set', () => highWater.set(highWaterKey(state.ns, state.orgId), next as unknown as JsonValue));
}

const STATE_PREFIX = 'fed:anchors:__state__:';
const ANCHORS_PREFIX = 'fed:anchors:';

/** The peer a key of its anchors or sync state belongs to (ids never contain ':'). */
function peerOfKey(key: string): [string, string] | undefined {
  const rest = key.startsWith(STATE_PREFIX) ? key.slice(STATE_PREFIX.length) : key.startsWith(ANCHORS_PREFIX) ? key.slice(ANCHORS_PREFIX.length) : undefined;
  const parts = rest?.split(':');
  return parts?.length === 2 ? [parts[0]!, parts[1]!] : undefined;
}

/**
 * A read guard for code that reads anchors straight from storage
 * (`resolvePeerKey`, `verifyPeerMessage`, `exportPeerJwks`): every read of a
 * peer's anchors or sync state first checks the stored state against its
 * mark, so a rolled-back store answers `ERR_STORAGE_ROLLBACK` instead of a
 * key that was revoked since. Writes and other keys pass through. Give the
 * engine the plain store (it checks by itself through `highWater`).
 *
 * @example
 * ```ts
 * const readable = highWaterGuard(storage, highWater)
 * await resolvePeerKey(readable, 'prod', 'org-a', 'k2') // throws ERR_STORAGE_ROLLBACK after a restore
 * ```
 */
export function highWaterGuard(storage: StorageDriver, highWater: StorageDriver): StorageDriver {
  return {
    async get(key) {
      const peer = peerOfKey(key);
      if (peer) await assertNoRollback(storage, highWater, peer[0], peer[1]);
      return storage.get(key);
    },
    set: (key, value) => storage.set(key, value),
    delete: (key) => storage.delete(key),
    list: (prefix) => storage.list(prefix),
  };
}
