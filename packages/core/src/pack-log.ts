/**
 * The log of signed packs an organisation has published (or a relay has
 * received), under `fed:packs:<ns>:<orgId>:<seq>`, and serving it page by
 * page. Every page holds whole signed packs chained by `prev`, so pages of
 * different publishes can never be mixed into one state (DESIGN.md, Sync).
 */
import { getSyncState } from './anchor-registry.ts';
import { validPackHash } from './canonical.ts';
import { bytesToB64u, b64uToBytes, utf8 } from './encoding.ts';
import { AnchorSyncError } from './errors.ts';
import { MAX_PACKS_PER_PAGE } from './limits.ts';
import { guarded, keys, type JsonValue, type StorageDriver } from './storage.ts';
import type { PullPage } from './transport.ts';
import type { AnchorPack } from './types.ts';
import { validateId, validatePack } from './validate.ts';

/** Default packs per page. */
export const DEFAULT_PAGE_SIZE = 16;
/** Anchors per page beyond which a page closes early (it always holds at least one pack). */
export const DEFAULT_PAGE_ANCHORS = 20_000;

/**
 * Stores a signed pack in the log (idempotent for identical bytes). A base
 * pack is also indexed, so new peers can start at the newest one instead of
 * replaying the whole history.
 *
 * @throws {AnchorSyncError} `ERR_PACK_SCHEMA` (and the other shape codes)
 * for a value that is not a v1 pack; `ERR_PACK_EQUIVOCATION` when the log
 * holds other bytes at that seq.
 */
export async function storePack(storage: StorageDriver, pack: AnchorPack): Promise<void> {
  await storeValidPack(storage, validatePack(pack));
}

/** `storePack` of a pack `validatePack` returned and nobody changed since. Internal. */
export async function storeValidPack(storage: StorageDriver, pack: AnchorPack): Promise<void> {
  // A logged seq is never rewritten with other bytes: that would be this log equivocating.
  const existing = await loadPack(storage, pack.ns, pack.orgId, pack.seq);
  if (existing && validPackHash(existing) !== validPackHash(pack)) {
    throw new AnchorSyncError('ERR_PACK_EQUIVOCATION', `the log already holds a different pack ${pack.orgId}#${pack.seq}`, {
      details: { seq: pack.seq },
    });
  }
  await guarded('set', () => storage.set(keys.pack(pack.ns, pack.orgId, pack.seq), pack as unknown as JsonValue));
  if (pack.prev !== undefined) return;
  // Indexed after the pack is logged: a crash in between only means new peers start at an older base.
  const bases = await listBaseSeqs(storage, pack.ns, pack.orgId);
  if (!bases.includes(pack.seq)) {
    const next = [...bases, pack.seq].sort((a, b) => a - b);
    await guarded('set', () => storage.set(keys.packBases(pack.ns, pack.orgId), next));
  }
}

/** Seqs of the base packs in the log, ascending (a malformed index reads as empty: it is only an optimisation). */
export async function listBaseSeqs(storage: StorageDriver, ns: string, orgId: string): Promise<number[]> {
  const raw = await guarded('get', () => storage.get(keys.packBases(ns, orgId)));
  return Array.isArray(raw) ? raw.filter((n): n is number => Number.isSafeInteger(n) && (n as number) > 0) : [];
}

/** The stored pack at `seq`, or `undefined`. */
export async function loadPack(storage: StorageDriver, ns: string, orgId: string, seq: number): Promise<AnchorPack | undefined> {
  const raw = await guarded('get', () => storage.get(keys.pack(ns, orgId, seq)));
  if (raw === undefined) return undefined;
  try {
    return validatePack(raw);
  } catch (cause) {
    throw new AnchorSyncError('ERR_STORAGE_CORRUPT', `stored pack ${orgId}#${seq} is malformed`, { cause });
  }
}

/** Seqs of the stored packs of (ns, orgId), ascending. */
export async function listPackSeqs(storage: StorageDriver, ns: string, orgId: string): Promise<number[]> {
  const prefix = keys.packPrefix(validateId(ns, 'ns'), validateId(orgId, 'orgId'));
  const names = await guarded('list', () => storage.list(prefix));
  return names.map((n) => Number(n.slice(prefix.length))).filter((n) => Number.isSafeInteger(n) && n > 0).sort((a, b) => a - b);
}

export interface PageRequest {
  ns: string;
  orgId: string;
  since: number;
  token?: string;
  /** Hash of the client's pack at `since`: when it is our head, answer not-modified. */
  sinceHash?: string;
  /** Packs per page, 1..MAX_PACKS_PER_PAGE. */
  pageSize?: number;
  /** Close a page once it holds this many anchors. */
  pageAnchors?: number;
}

const TOKEN_PREFIX = 'p1.';

function encodeToken(nextSeq: number): string {
  return TOKEN_PREFIX + bytesToB64u(utf8(String(nextSeq)));
}

/** The seq a continuation token resumes after, or `undefined` for a token we did not make. */
export function decodeToken(token: string): number | undefined {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 64) return undefined;
  const bytes = b64uToBytes(token.slice(TOKEN_PREFIX.length));
  if (!bytes) return undefined;
  const text = String.fromCharCode(...bytes);
  const n = /^[0-9]{1,16}$/.test(text) ? Number(text) : NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/**
 * One page of stored packs with seq > `since` (or after the token's seq).
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` for a malformed token or since.
 * @example
 * ```ts
 * const page = await servePackPage(storage, { ns: 'prod', orgId: 'org-a', since: 3 })
 * ```
 */
export async function servePackPage(storage: StorageDriver, request: PageRequest): Promise<PullPage> {
  if (!Number.isSafeInteger(request.since) || request.since < 0) {
    throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'since must be a safe integer >= 0');
  }
  let after = request.since;
  if (request.token !== undefined) {
    const fromToken = decodeToken(request.token);
    if (fromToken === undefined) throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'malformed continuation token');
    after = Math.max(after, fromToken);
  }
  // The server's own sync state names its head: an up-to-date client costs one small read.
  const head = await getSyncState(storage, request.ns, request.orgId);
  if (head && after >= head.seq) {
    return request.sinceHash === head.hash && after === head.seq ? { packs: [], notModified: true } : { packs: [] };
  }
  // A new peer starts at the newest base pack: it lists every kid, so the history before it adds nothing.
  if (after === 0) after = Math.max(0, ...(await listBaseSeqs(storage, request.ns, request.orgId))) - 1;
  if (after < 0) after = 0;
  const pageSize = Math.min(Math.max(1, request.pageSize ?? DEFAULT_PAGE_SIZE), MAX_PACKS_PER_PAGE);
  const pageAnchors = request.pageAnchors ?? DEFAULT_PAGE_ANCHORS;
  const seqs = (await listPackSeqs(storage, request.ns, request.orgId)).filter((s) => s > after);
  const packs: AnchorPack[] = [];
  let anchors = 0;
  for (const seq of seqs) {
    if (packs.length >= pageSize || (packs.length > 0 && anchors >= pageAnchors)) break;
    const pack = await loadPack(storage, request.ns, request.orgId, seq);
    if (!pack) break;
    packs.push(pack);
    anchors += pack.anchors.length;
  }
  const last = packs[packs.length - 1];
  const page: PullPage = { packs };
  if (last && seqs[seqs.length - 1]! > last.seq) page.next = encodeToken(last.seq);
  return page;
}
