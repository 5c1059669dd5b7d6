/**
 * A small federation for the KV tests: org A publishes from its own storage
 * with fixed keys and a stepping clock; clients pin A's root and sync through
 * the loopback transport. Framework-free: the Worker fixture uses it too.
 */
import {
  addSigner,
  getAnchors,
  getSyncState,
  loopbackTransport,
  pinTrustAnchor,
  publishAnchorPack,
  revokeSigner,
  runAnchorSync,
  storageKeys,
  type AuditEvent,
  type StorageDriver,
  type SyncResult,
  type Transport,
} from '@anchorsync/core';

export const NS = 'prod';
export const ORG = 'org-a';
export const PEERS = [{ ns: NS, orgId: ORG }];
export const STATE_KEY = storageKeys.syncState(NS, ORG);
export const ANCHORS_KEY = storageKeys.anchors(NS, ORG);

export interface SyncFixtureOptions {
  pageSize?: number;
  /** Pull number `n` (1-based) of this sync fails. */
  failPullNumber?: number;
  audit?: AuditEvent[];
  /** The engine's high-water store, apart from the synced storage. */
  highWater?: StorageDriver;
}

export interface Federation {
  publisher: StorageDriver;
  clock: () => number;
  rootPub: string;
  /** Adds an ACTIVE signer (its secret is `fill` repeated) and publishes; returns the new seq. */
  add(kid: string, fill: number): Promise<number>;
  /** Revokes a signer and publishes; returns the new seq. */
  revoke(kid: string): Promise<number>;
  /** Pins A's root key in `client`. */
  pin(client: StorageDriver): Promise<void>;
  /** One forced sync of A into `client`; audit events go to `audit`. */
  sync(client: StorageDriver, options?: SyncFixtureOptions): Promise<SyncResult>;
}

/** Org A with signer `root` and a first pack (#1) listing only root; `highWater` is the publisher's own mark store. */
export async function federation(publisher: StorageDriver, options: { highWater?: StorageDriver } = {}): Promise<Federation> {
  let now = Date.parse('2026-11-25T12:00:00.000Z');
  const clock = () => (now += 1000);
  const root = await addSigner(publisher, { kid: 'root', secretKey: new Uint8Array(32).fill(1), clock });
  const marks = options.highWater ? { highWater: options.highWater } : {};
  const publish = async () => (await publishAnchorPack({ storage: publisher, ns: NS, orgId: ORG, clock, ...marks })).pack.seq;
  await publish();
  return {
    publisher,
    clock,
    rootPub: root.pubB64u,
    async add(kid, fill) {
      await addSigner(publisher, { kid, secretKey: new Uint8Array(32).fill(fill), clock });
      return publish();
    },
    async revoke(kid) {
      await revokeSigner(publisher, kid, { clock });
      return publish();
    },
    async pin(client) {
      await pinTrustAnchor(client, { ns: NS, orgId: ORG, kid: 'root', pubB64u: root.pubB64u }, { clock });
    },
    async sync(client, options = {}) {
      const transport = failingAt(loopbackTransport(publisher, { pageSize: options.pageSize ?? 16 }), options.failPullNumber);
      const audit = options.audit;
      const [result] = await runAnchorSync({
        storage: client,
        transport,
        peers: PEERS,
        clock,
        force: true,
        ...(options.highWater ? { highWater: options.highWater } : {}),
        ...(audit ? { audit: (e: AuditEvent) => void audit.push(e) } : {}),
      });
      return result!;
    },
  };
}

/** A transport whose pull number `n` (1-based) fails, like a connection dropped mid-sync. */
function failingAt(transport: Transport, n: number | undefined): Transport {
  if (n === undefined) return transport;
  let pulls = 0;
  return {
    ...transport,
    pull(request) {
      if (++pulls === n) return Promise.reject(new Error(`connection dropped at pull ${n}`));
      return transport.pull(request);
    },
  };
}

/** kid -> status of the anchors stored for A, e.g. `{ root: 'ACTIVE', x: 'REVOKED' }`. */
export async function statuses(storage: StorageDriver): Promise<Record<string, string>> {
  return Object.fromEntries((await getAnchors(storage, NS, ORG)).map((a) => [a.kid, a.status]));
}

/** The stored seq of A, or 0. */
export async function storedSeq(storage: StorageDriver): Promise<number> {
  return (await getSyncState(storage, NS, ORG))?.seq ?? 0;
}

/** The seqs in the sync-state writes of a write log, in order. */
export function stateSeqsWritten(writes: readonly { key: string; text: string | null }[], stateKey = STATE_KEY): number[] {
  return writes.filter((w) => w.key === stateKey && w.text !== null).map((w) => (JSON.parse(w.text!) as { seq: number }).seq);
}

/** The seqs the engine accepted, from its audit events. */
export function appliedSeqs(audit: readonly AuditEvent[]): number[] {
  return audit.flatMap((e) => (e.type === 'FED_ANCHOR_SYNC_APPLY' ? [e.seq] : []));
}
