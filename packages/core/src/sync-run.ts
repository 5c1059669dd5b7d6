/**
 * Running a sync: for each due peer, pull page by page through its
 * transport, apply every pack through the acceptance rules, persist state
 * after every page, and report per peer. Peers run concurrently up to a
 * bound; one failing peer never stops the others.
 */
import { getAnchorRecord, getSyncState } from './anchor-registry.ts';
import { applyUnlocked, wasAudited, type EngineContext } from './apply.ts';
import { emitAudit } from './audit.ts';
import { assertNoRollback, raiseHighWater } from './high-water.ts';
import { AnchorSyncError, isAnchorSyncError } from './errors.ts';
import { DEFAULT_SYNC_CONCURRENCY, MAX_PACKS_PER_PAGE, MAX_PAGES_PER_SYNC } from './limits.ts';
import { peerLockName, processLock } from './peer-lock.ts';
import { checkCrossOrgPolicy } from './policy.ts';
import { guarded, keys, type JsonValue } from './storage.ts';
import { planAnchorSync } from './sync-plan.ts';
import { formatTimestamp, systemClock } from './time.ts';
import type { PullPage, Transport } from './transport.ts';
import type { PeerPlan, PeerRef, SyncPlan, SyncResult } from './types.ts';

export interface SyncOptions extends EngineContext {
  /** One transport for every peer, or one chosen per peer. */
  transport: Transport | ((peer: PeerRef) => Transport);
  /** Peers to plan and sync; or pass a ready `plan`. */
  peers?: readonly PeerRef[];
  plan?: SyncPlan;
  /** Sync every listed peer now, ignoring refresh hints. */
  force?: boolean;
  /** Peers synced at once. Default 4. */
  concurrency?: number;
  signal?: AbortSignal;
}

/**
 * Syncs peers and returns one result per peer pulled.
 *
 * @example
 * ```ts
 * const results = await runAnchorSync({ storage, transport, peers: [{ ns: 'prod', orgId: 'org-a' }], audit: console.log })
 * for (const r of results) if (!r.ok) console.warn(r.orgId, r.rejected?.code)
 * ```
 */
export async function runAnchorSync(options: SyncOptions): Promise<SyncResult[]> {
  const clock = options.clock ?? systemClock;
  const plan =
    options.plan ??
    (await planAnchorSync(options.storage, options.peers ?? [], {
      clock,
      ...(options.policy ? { policy: options.policy } : {}),
      ...(options.force ? { force: true } : {}),
    }));
  // Peers the policy refuses are reported (and audited) as refused, not left out.
  const due = plan.peers.filter((p) => p.due || p.reason === 'policy');
  const results: SyncResult[] = new Array(due.length);
  const limit = Math.max(1, Math.min(options.concurrency ?? DEFAULT_SYNC_CONCURRENCY, 64));
  let cursor = 0;
  const worker = async () => {
    while (cursor < due.length) {
      const index = cursor++;
      results[index] = await syncPeer({ ...options, clock }, due[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, due.length) }, worker));
  return results;
}

function emptyResult(peer: PeerPlan): SyncResult {
  return {
    ns: peer.ns,
    orgId: peer.orgId,
    ok: true,
    fromSeq: peer.since,
    toSeq: peer.since,
    pages: 0,
    packsApplied: 0,
    added: 0,
    updated: 0,
    retired: 0,
    revoked: 0,
    unchanged: 0,
    warnings: [],
  };
}

async function syncPeer(options: SyncOptions & { clock: () => number }, peer: PeerPlan): Promise<SyncResult> {
  const result = emptyResult(peer);
  const lock = options.lock ?? processLock(options.storage);
  try {
    await lock(peerLockName(peer.ns, peer.orgId), () => pullAndApply(options, peer, result));
  } catch (error) {
    const e = isAnchorSyncError(error)
      ? error
      : new AnchorSyncError(options.signal?.aborted ? 'ERR_ABORTED' : 'ERR_TRANSPORT', `sync of ${peer.orgId} failed`, { cause: error });
    result.ok = false;
    result.rejected = { code: e.code, message: e.message };
    const seq = e.details?.seq;
    if (typeof seq === 'number') result.rejected.seq = seq;
    // Rejections inside apply were audited there; report the others here.
    if (!wasAudited(error)) {
      const warning = await emitAudit(options.audit, {
        type: 'FED_ANCHOR_SYNC_REJECT',
        at: formatTimestamp(options.clock()),
        ns: peer.ns,
        orgId: peer.orgId,
        code: e.code,
        message: e.message,
      });
      if (warning) result.warnings.push(warning);
    }
  }
  return result;
}

async function pullAndApply(options: SyncOptions & { clock: () => number }, peer: PeerPlan, result: SyncResult): Promise<void> {
  const { storage, clock } = options;
  const ref: PeerRef = { ns: peer.ns, orgId: peer.orgId };
  const transport = typeof options.transport === 'function' ? options.transport(ref) : options.transport;
  // Re-read under the lock: another sync may have moved the state since planning.
  let state = await getSyncState(storage, peer.ns, peer.orgId);
  if (options.highWater) {
    // A rolled-back store is refused before any request or policy use; a mark that lags catches up.
    const mark = await assertNoRollback(storage, options.highWater, peer.ns, peer.orgId, state ?? null);
    if (state && (mark?.seq ?? 0) < state.seq) await raiseHighWater(options.highWater, state, clock(), mark ?? null);
  }
  const decision = await checkCrossOrgPolicy(storage, options.policy, { op: 'pull', ...ref, now: clock(), consume: true });
  if (!decision.allowed) throw new AnchorSyncError(decision.code, decision.message);

  // Pull from the state's seq even when the anchors are ahead of it (a crash
  // between the two writes, or a stale state read): the packs in between are
  // skipped by apply, and the one the anchors hold completes the state.
  let since = state?.seq ?? 0;
  let sinceHash = state?.hash;
  result.fromSeq = result.toSeq = since;
  let token = state?.token;
  let refreshAfterSec: number | undefined;
  for (let pages = 0; pages < MAX_PAGES_PER_SYNC; pages++) {
    options.signal?.throwIfAborted();
    const pull = (withToken: string | undefined) =>
      transport.pull({
        ...ref,
        since,
        ...(sinceHash === undefined ? {} : { sinceHash }),
        ...(withToken === undefined ? {} : { token: withToken }),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    let raw: unknown;
    try {
      raw = await pull(token);
    } catch (error) {
      // A saved token the source no longer knows must not block the peer forever: `since` alone is enough.
      if (token === undefined || !isAnchorSyncError(error, 'ERR_INVALID_ARGUMENT')) throw error;
      token = undefined;
      raw = await pull(undefined);
    }
    const page = checkPage(raw);
    result.pages++;
    refreshAfterSec = page.refreshAfterSec ?? refreshAfterSec;
    const pullWarning = await emitAudit(options.audit, {
      type: 'FED_ANCHOR_SYNC_PULL',
      at: formatTimestamp(clock()),
      ...ref,
      since,
      packs: page.packs.length,
      notModified: page.notModified === true,
    });
    if (pullWarning) result.warnings.push(pullWarning);
    for (let i = 0; i < page.packs.length; i++) {
      const followedByNewer = i < page.packs.length - 1 || page.next !== undefined;
      const outcome = await applyUnlocked(options, page.packs[i], { expect: ref, followedByNewer });
      for (const key of ['added', 'updated', 'retired', 'revoked', 'unchanged'] as const) result[key] += outcome.counts[key];
      for (const w of outcome.warnings) if (!result.warnings.includes(w)) result.warnings.push(w);
      if (outcome.status === 'applied') result.packsApplied++;
      if (outcome.seq >= result.toSeq) sinceHash = outcome.hash;
      result.toSeq = Math.max(result.toSeq, outcome.seq);
    }
    // A page that moves us nowhere yet promises more would keep us pulling forever.
    if (page.next !== undefined && result.toSeq <= since) {
      throw new AnchorSyncError('ERR_TRANSPORT', `page after #${since} of ${peer.orgId} did not advance`);
    }
    since = result.toSeq;
    token = page.next;
    if (token === undefined) break;
    // Persist after every page so an interrupted sync resumes where it stopped.
    await persist(options, peer, token, undefined);
  }
  await persist(options, peer, token, refreshAfterSec);
}

/** Saves token and timing on the stored state, unless that state reads behind its anchors (a stale read: never write it back). */
async function persist(options: SyncOptions & { clock: () => number }, peer: PeerRef, token: string | undefined, refreshAfterSec: number | undefined): Promise<void> {
  const state = await getSyncState(options.storage, peer.ns, peer.orgId);
  if (!state) return;
  const record = await getAnchorRecord(options.storage, peer.ns, peer.orgId);
  if (record.seq !== undefined && record.seq > state.seq) return;
  await saveState(options, state, token, refreshAfterSec);
}

async function saveState(
  options: SyncOptions & { clock: () => number },
  state: NonNullable<Awaited<ReturnType<typeof getSyncState>>>,
  token: string | undefined,
  refreshAfterSec: number | undefined,
): Promise<void> {
  const now = options.clock();
  if (token === undefined) delete state.token;
  else state.token = token;
  state.lastSyncAt = formatTimestamp(now);
  if (refreshAfterSec !== undefined) state.nextSyncAt = formatTimestamp(now + refreshAfterSec * 1000);
  await guarded('set', () => options.storage.set(keys.syncState(state.ns, state.orgId), state as unknown as JsonValue));
}

/** A transport's answer is untrusted: check it is a page before reading it. */
function checkPage(value: unknown): PullPage {
  const page = value as Partial<PullPage> | null;
  if (typeof page !== 'object' || page === null || !Array.isArray(page.packs)) {
    throw new AnchorSyncError('ERR_TRANSPORT', 'transport returned something that is not a page');
  }
  if (page.packs.length > MAX_PACKS_PER_PAGE) throw new AnchorSyncError('ERR_TRANSPORT', `page has more than ${MAX_PACKS_PER_PAGE} packs`);
  if (page.next !== undefined && (typeof page.next !== 'string' || page.next.length === 0 || page.next.length > 1024)) {
    throw new AnchorSyncError('ERR_TRANSPORT', 'page has a malformed continuation token');
  }
  const hint = page.refreshAfterSec;
  if (hint !== undefined && (typeof hint !== 'number' || !Number.isFinite(hint) || hint < 0 || hint > 31 * 86_400)) {
    throw new AnchorSyncError('ERR_TRANSPORT', 'page has a malformed refresh hint');
  }
  if (page.notModified === true && page.packs.length > 0) throw new AnchorSyncError('ERR_TRANSPORT', 'a not-modified page carries packs');
  const out: PullPage = { packs: page.packs };
  if (page.notModified === true) out.notModified = true;
  if (page.next !== undefined) out.next = page.next;
  if (hint !== undefined) out.refreshAfterSec = hint;
  return out;
}
