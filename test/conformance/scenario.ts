/**
 * The core conformance scenario: one organisation publishes, another syncs
 * and follows a delta, a rotation and a revocation, then refuses a rollback
 * and a tampered pack. Framework-free and runtime-free (core, memoryStorage
 * and loopbackTransport only, no `crypto`, no clock of the runtime), so the
 * same file runs on Node, Deno, Bun, workerd and in a browser page:
 *
 * ```ts
 * import { runConformanceScenario } from './scenario.ts';
 * const results = await runConformanceScenario(); // [{ name, ok, detail }, ...]
 * ```
 *
 * Keys and clock are fixed, so every runtime must produce identical results,
 * pack hashes included: the runners compare each runtime's list with Node's.
 */
import {
  addSigner,
  bytesToB64u,
  canonicalJson,
  ed25519Sign,
  getAnchors,
  loopbackTransport,
  packHash,
  pinTrustAnchor,
  publicKeyOf,
  publishAnchorPack,
  retireSigner,
  revokeSigner,
  runAnchorSync,
  utf8,
  verifyPeerMessage,
  type AnchorPack,
  type AuditEvent,
  type StorageDriver,
  type SyncResult,
  type Transport,
} from '@anchorsync/core';
import { memoryStorage } from '@anchorsync/storage-memory';

export interface ConformanceResult {
  name: string;
  ok: boolean;
  detail: string;
}

/** The steps, in order; every runner expects exactly these names. */
export const CONFORMANCE_STEPS = [
  'publish',
  'sync',
  'delta',
  'rotation',
  'revocation',
  'rollback rejected',
  'tampered pack rejected',
] as const;

const NS = 'conformance';
const ORG = 'org-a.example';
const PEER = { ns: NS, orgId: ORG };
const START = Date.UTC(2026, 2, 1, 12, 0, 0);

/** A fixed 32-byte Ed25519 secret key per kid number: signatures and hashes are the same everywhere. */
function secret(n: number): Uint8Array {
  return Uint8Array.from({ length: 32 }, (_, i) => (n * 37 + i * 11 + 1) & 0xff);
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

/** Every key and value in a store, as one string: "storage is unchanged" means this is equal. */
async function snapshot(storage: StorageDriver): Promise<string> {
  const out: Record<string, unknown> = {};
  for (const key of await storage.list('')) out[key] = await storage.get(key);
  return canonicalJson(out);
}

/** A transport in the middle that hands every page through `change` (a mirror that lies). */
function tamperingTransport(inner: Transport, change: (packs: unknown[]) => unknown[]): Transport {
  return {
    pull: async (request) => {
      const page = await inner.pull(request);
      return { ...page, packs: change(page.packs) };
    },
    push: inner.push,
  };
}

function statuses(anchors: { kid: string; status: string }[]): string {
  return anchors.map((a) => `${a.kid}=${a.status}`).join(' ');
}

function summary(r: SyncResult | undefined): string {
  if (!r) return 'no result';
  const rejected = r.rejected ? ` rejected ${r.rejected.code}` : '';
  return `seq ${r.fromSeq}->${r.toSeq}, packs ${r.packsApplied}, +${r.added} retired ${r.retired} revoked ${r.revoked}${rejected}`;
}

/**
 * Runs every step and reports each one; a step that fails stops the run and
 * the steps after it are reported as not run. Never throws.
 */
export async function runConformanceScenario(): Promise<ConformanceResult[]> {
  let now = START;
  const clock = () => now;
  const tick = () => (now += 60_000);
  const publisher = memoryStorage();
  const client = memoryStorage();
  const audit: AuditEvent[] = [];
  const direct = loopbackTransport(publisher);
  let pulledPacks = 0;
  const counting: Transport = {
    pull: async (request) => {
      const page = await direct.pull(request);
      pulledPacks += page.packs.length;
      return page;
    },
    push: direct.push,
  };
  const sync = async (transport: Transport = counting) =>
    (await runAnchorSync({ storage: client, transport, peers: [PEER], force: true, clock, audit: (e) => void audit.push(e) }))[0];
  const publish = async () => (tick(), publishAnchorPack({ storage: publisher, ...PEER, clock }));
  const packs: AnchorPack[] = [];

  const steps: Record<(typeof CONFORMANCE_STEPS)[number], () => Promise<string>> = {
    async publish() {
      const root = await addSigner(publisher, { kid: 'a-root', secretKey: secret(1), clock });
      await addSigner(publisher, { kid: 'a-chat-1', secretKey: secret(2), clock });
      await addSigner(publisher, { kid: 'a-files-1', secretKey: secret(3), clock });
      const { pack, hash } = await publish();
      packs.push(pack);
      check(pack.seq === 1 && pack.prev === undefined && pack.anchors.length === 3, `expected base pack #1 with 3 anchors, got #${pack.seq}`);
      check(packHash(pack) === hash, 'packHash disagrees with the published hash');
      await pinTrustAnchor(client, { ...PEER, kid: root.kid, pubB64u: root.pubB64u }, { clock });
      return `pack #1 hash ${hash}, signed by ${pack.sig.map((s) => s.kid).join(',')}`;
    },
    async sync() {
      const r = await sync();
      check(r?.ok === true && r.toSeq === 1 && r.added === 3, `first sync: ${summary(r)}`);
      const anchors = await getAnchors(client, NS, ORG);
      check(statuses(anchors) === 'a-chat-1=ACTIVE a-files-1=ACTIVE a-root=ACTIVE', `anchors: ${statuses(anchors)}`);
      return summary(r);
    },
    async delta() {
      await addSigner(publisher, { kid: 'a-chat-2', secretKey: secret(4), clock });
      const { pack, hash } = await publish();
      packs.push(pack);
      check(pack.prev === packHash(packs[0]!) && pack.anchors.length === 1, 'pack #2 is not a one-anchor delta chained to #1');
      pulledPacks = 0;
      const r = await sync();
      check(r?.ok === true && r.fromSeq === 1 && r.toSeq === 2 && r.added === 1 && pulledPacks === 1, `delta sync: ${summary(r)}, ${pulledPacks} packs`);
      pulledPacks = 0;
      const again = await sync();
      check(again?.ok === true && again.packsApplied === 0 && pulledPacks === 0, `up-to-date sync carried ${pulledPacks} packs`);
      return `${summary(r)}; pack #2 hash ${hash}; up-to-date sync carried 0 packs`;
    },
    async rotation() {
      const retiredSecret = secret(2);
      await retireSigner(publisher, 'a-chat-1', { clock });
      const { pack } = await publish();
      packs.push(pack);
      const r = await sync();
      check(r?.ok === true && r.toSeq === 3 && r.retired === 1, `rotation sync: ${summary(r)}`);
      const message = utf8('rotation check');
      const fresh = await verifyPeerMessage(client, { ...PEER, kid: 'a-chat-2', message, signature: ed25519Sign(message, secret(4)) }, { now });
      const old = await verifyPeerMessage(client, { ...PEER, kid: 'a-chat-1', message, signature: ed25519Sign(message, retiredSecret) }, { now });
      check(fresh.ok, `a-chat-2 signature: ${fresh.ok ? 'valid' : fresh.reason}`);
      check(!old.ok && old.reason === 'RETIRED', `a-chat-1 signature made now: ${old.ok ? 'valid' : old.reason}`);
      return `${summary(r)}; a-chat-2 valid, a-chat-1 refused RETIRED`;
    },
    async revocation() {
      await revokeSigner(publisher, 'a-files-1', { clock });
      const { pack } = await publish();
      packs.push(pack);
      const r = await sync();
      check(r?.ok === true && r.toSeq === 4 && r.revoked === 1, `revocation sync: ${summary(r)}`);
      const message = utf8('revocation check');
      const v = await verifyPeerMessage(client, { ...PEER, kid: 'a-files-1', message, signature: ed25519Sign(message, secret(3)) }, { now });
      check(!v.ok && v.reason === 'REVOKED', `a-files-1 signature: ${v.ok ? 'valid' : v.reason}`);
      const anchors = await getAnchors(client, NS, ORG);
      return `${summary(r)}; ${statuses(anchors)}`;
    },
    async 'rollback rejected'() {
      const before = await snapshot(client);
      // A mirror answers "what is after #4?" with the old pack #2.
      const replay: Transport = { pull: async () => ({ packs: [structuredClone(packs[1]!)] }), push: direct.push };
      const r = await sync(replay);
      check(r?.ok === false && r.rejected?.code === 'ERR_PACK_ROLLBACK', `replayed pack #2: ${summary(r)}`);
      check((await snapshot(client)) === before, 'storage changed after a rejected rollback');
      const event = audit.at(-1);
      check(event?.type === 'FED_ANCHOR_SYNC_REJECT' && event.code === 'ERR_PACK_ROLLBACK', 'no FED_ANCHOR_SYNC_REJECT audit event');
      return 'ERR_PACK_ROLLBACK, storage unchanged, audited';
    },
    async 'tampered pack rejected'() {
      const attackerKey = bytesToB64u(publicKeyOf(secret(99)));
      await addSigner(publisher, { kid: 'a-chat-3', secretKey: secret(5), clock });
      await publish();
      const before = await snapshot(client);
      // A mirror swaps the new key for its own: the signatures no longer cover the bytes.
      const swap = tamperingTransport(counting, (page) =>
        page.map((p) => {
          const pack = structuredClone(p) as AnchorPack;
          for (const a of pack.anchors) if (a.kid === 'a-chat-3') a.pubB64u = attackerKey;
          return pack;
        }),
      );
      const r = await sync(swap);
      check(r?.ok === false && r.rejected?.code === 'ERR_PACK_SIGNATURE', `tampered pack #5: ${summary(r)}`);
      check((await snapshot(client)) === before, 'storage changed after a rejected tampered pack');
      // The genuine bytes of the same pack apply: the refusal was the tampering's doing.
      const genuine = await sync();
      check(genuine?.ok === true && genuine.toSeq === 5 && genuine.added === 1, `genuine pack #5: ${summary(genuine)}`);
      return 'ERR_PACK_SIGNATURE, storage unchanged; the genuine pack #5 then applies';
    },
  };

  const results: ConformanceResult[] = [];
  let failed = false;
  for (const name of CONFORMANCE_STEPS) {
    if (failed) {
      results.push({ name, ok: false, detail: 'not run: an earlier step failed' });
      continue;
    }
    try {
      results.push({ name, ok: true, detail: await steps[name]() });
    } catch (error) {
      failed = true;
      const detail = error instanceof Error ? `${(error as { code?: string }).code ?? error.name}: ${error.message}` : String(error);
      results.push({ name, ok: false, detail });
    }
  }
  return results;
}
