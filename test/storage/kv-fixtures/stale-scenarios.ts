/**
 * Stale-read scenarios on a real KV namespace behind a lagging replica
 * (`laggingKv`). Each builds its history on an empty namespace, lets chosen
 * keys lag, syncs, lets the replica catch up, syncs again, and reports what
 * the engine accepted and what KV finally holds. Framework-free: the tests
 * assert on the reports in Node and inside workerd.
 */
import { isAnchorSyncError, listPackSeqs, loadPack, packHash, type AuditEvent, type StorageDriver, type SyncResult } from '@anchorsync/core';
import type { KVNamespaceLike } from '@anchorsync/storage-cloudflare-kv';
import { memoryStorage } from '@anchorsync/storage-memory';
import { fastKv } from './fast-kv.ts';
import { ANCHORS_KEY, appliedSeqs, federation, NS, ORG, STATE_KEY, stateSeqsWritten, statuses, storedSeq, type Federation, type SyncFixtureOptions } from './federation.ts';
import { laggingKv } from './lagging-kv.ts';

export interface StaleReport {
  /** The sync that read lagging values. */
  stale: SyncResult;
  /** Seqs the engine accepted (APPLY audit events) during that sync. */
  appliedDuringStale: number[];
  /** Seqs of the sync-state records it wrote during that sync. */
  stateSeqsWrittenDuringStale: number[];
  /** Reads answered from the lagging replica. */
  staleReads: number;
  /** The highest seq this process had accepted before the stale sync. */
  highestAcceptedBefore: number;
  /** What KV holds right after the stale sync, read fresh. */
  seqAfterStale: number;
  statusesAfterStale: Record<string, string>;
  /** Two syncs once the replica caught up, and what KV then holds. */
  caughtUp: SyncResult;
  caughtUpAgain: SyncResult;
  seqFinal: number;
  statusesFinal: Record<string, string>;
  /** What the publisher itself holds: the truth. */
  publisherStatuses: Record<string, string>;
}

interface Options {
  /** A write through the replica ends the lag of that key (KV's usual, not guaranteed, behaviour). */
  readYourWrites?: boolean;
  /** Packs per page during the stale sync. */
  pageSize?: number;
  /** The stale sync's pull number `n` fails (a dropped connection). */
  failPullNumber?: number;
  /**
   * Give every sync of the client a high-water store apart from KV (in the
   * isolate's memory here; a Durable Object in production).
   */
  highWater?: boolean;
}

/** Every sync of `fed` gets one high-water store (isolate memory here), when asked. */
function withHighWater(fed: Federation, wanted: boolean | undefined): Federation {
  if (!wanted) return fed;
  const highWater = memoryStorage();
  return { ...fed, sync: (client: StorageDriver, o: SyncFixtureOptions = {}) => fed.sync(client, { ...o, highWater }) };
}

async function report(
  kv: KVNamespaceLike,
  publisher: StorageDriver,
  lagKeys: readonly string[],
  history: (f: Federation, client: StorageDriver, capture: () => Promise<void>) => Promise<number>,
  options: Options,
): Promise<StaleReport> {
  const fed = withHighWater(await federation(publisher), options.highWater);
  const replica = laggingKv(kv);
  const client = fastKv(replica.namespace);
  const fresh = fastKv(kv);
  await fed.pin(client);
  let captured = new Map<string, string | null>();
  const highestAcceptedBefore = await history(fed, client, async () => void (captured = await replica.capture(lagKeys)));
  replica.lag(captured, { readYourWrites: options.readYourWrites === true });
  const audit: AuditEvent[] = [];
  const from = replica.writes.length;
  const stale = await fed.sync(client, {
    audit,
    ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
    ...(options.failPullNumber === undefined ? {} : { failPullNumber: options.failPullNumber }),
  });
  const staleReads = replica.staleReads();
  const staleWrites = replica.writes.slice(from);
  const seqAfterStale = await storedSeq(fresh);
  const statusesAfterStale = await statuses(fresh);
  replica.catchUp();
  const caughtUp = await fed.sync(client);
  const caughtUpAgain = await fed.sync(client);
  return {
    stale,
    appliedDuringStale: appliedSeqs(audit),
    stateSeqsWrittenDuringStale: stateSeqsWritten(staleWrites),
    staleReads,
    highestAcceptedBefore,
    seqAfterStale,
    statusesAfterStale,
    caughtUp,
    caughtUpAgain,
    seqFinal: await storedSeq(fresh),
    statusesFinal: await statuses(fresh),
    publisherStatuses: await statuses(publisher),
  };
}

/**
 * The state read lags at #1 while KV holds #3; #2 added x and #3 revoked it,
 * so replaying #2 would move x from REVOKED back to ACTIVE.
 */
export function staleStateReplaysRevokedKey(kv: KVNamespaceLike, publisher: StorageDriver, options: Options = {}): Promise<StaleReport> {
  return report(kv, publisher, [STATE_KEY], async (fed, client, capture) => {
    await fed.sync(client);
    await capture();
    await fed.add('x', 2);
    await fed.sync(client);
    await fed.revoke('x');
    return (await fed.sync(client)).toSeq;
  }, options);
}

/**
 * The state read lags at #2 while KV holds #4; #3 revoked x and #4 added y.
 * Replaying #3 and #4 over the newer anchors changes no record.
 */
export function staleStateReplaysOlderPacks(kv: KVNamespaceLike, publisher: StorageDriver, options: Options = {}): Promise<StaleReport> {
  return report(kv, publisher, [STATE_KEY], async (fed, client, capture) => {
    await fed.add('x', 2);
    await fed.sync(client);
    await capture();
    await fed.revoke('x');
    await fed.add('y', 3);
    return (await fed.sync(client)).toSeq;
  }, options);
}

/**
 * The anchors read lags at #2 (x ACTIVE) while the state read is fresh at #3
 * (x REVOKED); then #4 adds y. KV caches each key on its own, so one read
 * can be older than another.
 */
export function staleAnchorsRead(kv: KVNamespaceLike, publisher: StorageDriver, options: Options = {}): Promise<StaleReport> {
  return report(kv, publisher, [ANCHORS_KEY], async (fed, client, capture) => {
    await fed.add('x', 2);
    await fed.sync(client);
    await capture();
    await fed.revoke('x');
    const seq = (await fed.sync(client)).toSeq;
    await fed.add('y', 3);
    return seq;
  }, options);
}

export interface TwoWorkersReport {
  /** Worker B's sync, reading a consistent but lagging snapshot, cut off after its first page. */
  lagging: SyncResult;
  highestAcceptedByA: number;
  seqAfterLagging: number;
  statusesAfterLagging: Record<string, string>;
  /** Worker A's next sync, with fresh reads. */
  next: SyncResult;
  seqFinal: number;
  statusesFinal: Record<string, string>;
  publisherStatuses: Record<string, string>;
}

/**
 * Two Workers sync org A into one namespace with no lock between them. A is
 * at #4 (#3 added y, #4 revoked x); B's location still serves both of A's
 * records as they were at #2, so B applies #3 on top of that snapshot.
 * `highWater`: both share a high-water store apart from KV.
 */
export async function twoWorkersOneLagging(kv: KVNamespaceLike, publisher: StorageDriver, options: { highWater?: boolean } = {}): Promise<TwoWorkersReport> {
  // One high-water store both Workers share, as a Durable Object would be.
  const fed = withHighWater(await federation(publisher), options.highWater);
  const replica = laggingKv(kv);
  const workerA = fastKv(kv);
  const workerB = fastKv(replica.namespace);
  await fed.pin(workerA);
  await fed.add('x', 2);
  await fed.sync(workerA);
  const snapshot = await replica.capture([STATE_KEY, ANCHORS_KEY]);
  await fed.add('y', 3);
  await fed.revoke('x');
  const highestAcceptedByA = (await fed.sync(workerA)).toSeq;
  replica.lag(snapshot, { readYourWrites: true });
  const lagging = await fed.sync(workerB, { pageSize: 1, failPullNumber: 2 });
  const seqAfterLagging = await storedSeq(workerA);
  const statusesAfterLagging = await statuses(workerA);
  replica.catchUp();
  const next = await fed.sync(workerA);
  return {
    lagging,
    highestAcceptedByA,
    seqAfterLagging,
    statusesAfterLagging,
    next,
    seqFinal: await storedSeq(workerA),
    statusesFinal: await statuses(workerA),
    publisherStatuses: await statuses(publisher),
  };
}

export interface StalePublishReport {
  /** Hash of the pack the publisher's log held at #3 before the stale publish, and after it. */
  seq3Before: string;
  seq3After: string;
  /** The seq the stale publish signed, or the code it was refused with. */
  published: number | string;
  /** Seqs in the publisher's log afterwards. */
  logSeqs: number[];
}

/**
 * The publisher keeps its signers and pack log in KV itself. #3 (adding y)
 * is published and logged; then, with its state read lagging at #2, it
 * publishes again (adding z).
 */
export async function stalePublisherState(kv: KVNamespaceLike, _memory: StorageDriver, options: Options = {}): Promise<StalePublishReport> {
  const replica = laggingKv(kv);
  const publisher = fastKv(replica.namespace);
  const fresh = fastKv(kv);
  const fed = await federation(publisher, options.highWater ? { highWater: memoryStorage() } : {});
  await fed.add('x', 2);
  const captured = await replica.capture([STATE_KEY]);
  await fed.add('y', 3);
  const seq3Before = packHash((await loadPack(fresh, NS, ORG, 3))!);
  replica.lag(captured, { readYourWrites: options.readYourWrites === true });
  const published = await fed.add('z', 4).then(
    (seq) => seq,
    (e: unknown) => (isAnchorSyncError(e) ? e.code : String(e)),
  );
  replica.catchUp();
  return { seq3Before, seq3After: packHash((await loadPack(fresh, NS, ORG, 3))!), published, logSeqs: await listPackSeqs(fresh, NS, ORG) };
}
