/**
 * Crash safety (DESIGN.md "Sync"): a failure between any two storage writes
 * leaves a state that the next run completes, and nothing is ever observable
 * at a lower seq, or with a key less withdrawn, than was observable before.
 *
 * Method: run a scenario once on a counting wrapper to learn its number of
 * writes W; then for every N in 1..W and both fault modes (the write is
 * lost, or it lands and the call still throws), run the scenario with write
 * N failing, run it again without the fault, and compare with the no-fault
 * run. After every single write, a hook reads the store and checks that
 * what a reader could see only ever moves forward.
 */
import 'fake-indexeddb/auto';
import { beforeAll, describe, expect, it } from 'vitest';
import { idbStorage } from '@anchorsync/storage-idb';
import { memoryStorage } from '@anchorsync/storage-memory';
import {
  addSigner,
  applyAnchorPack,
  bytesToB64u,
  generateKeyPair,
  getAnchors,
  getSyncState,
  listEquivocationEvidence,
  listPackSeqs,
  listSigners,
  loadPack,
  loopbackTransport,
  mergeAnchors,
  packHash,
  pinTrustAnchor,
  publicKeyOf,
  publishAnchorPack,
  readHighWater,
  retireSigner,
  revokeSigner,
  runAnchorSync,
  signAnchorPack,
  signerToAnchor,
  storageKeys,
  type Anchor,
  type AnchorPack,
  type AnchorStatus,
  type CrossOrgPolicy,
  type JsonValue,
  type PackSigner,
  type StorageDriver,
  type SyncResult,
} from '@anchorsync/core';
import { faultyStorage, type WriteCounter, type WriteEvent } from '../../../test/storage/fault-injection.ts';
import { anchorOf, DAY, iso, MIN, NS, packBody, T0, testClock } from './helpers.ts';

// The matrices run on each real driver that runs in Node: the faults wrap it.
let databases = 0;
const DRIVERS: [string, () => StorageDriver][] = [
  ['memory', () => memoryStorage()],
  ['IndexedDB (fake-indexeddb)', () => idbStorage({ dbName: `crash-safety-${++databases}` })],
];
let makeDriver: () => StorageDriver = DRIVERS[0]![1];

const RANK: Record<AnchorStatus, number> = { ACTIVE: 0, RETIRED: 1, REVOKED: 2 };
const MODES = ['fail', 'torn'] as const;

/** What a reader of the store sees for one org: the accepted seq and the anchors. */
interface View {
  seq: number;
  anchors: Map<string, Anchor>;
}

async function readView(storage: StorageDriver, orgId: string): Promise<View> {
  const state = await getSyncState(storage, NS, orgId);
  const anchors = await getAnchors(storage, NS, orgId);
  return { seq: state?.seq ?? 0, anchors: new Map(anchors.map((a) => [a.kid, a])) };
}

/**
 * Checks every view against all earlier ones: the seq never goes down, a kid
 * never disappears, never changes its key and never moves back in its
 * lifecycle, and the anchors are never behind what the no-fault run had
 * stored at the same seq (state written before its anchors would show that).
 */
class ForwardOnly {
  private seq = 0;
  private readonly seen = new Map<string, Anchor>();
  readonly violations: string[] = [];
  constructor(private readonly expectedAt: (seq: number) => Promise<ReadonlyMap<string, Anchor> | undefined>) {}

  async check(view: View, where: string): Promise<void> {
    if (view.seq < this.seq) this.violations.push(`${where}: seq went from ${this.seq} to ${view.seq}`);
    this.seq = Math.max(this.seq, view.seq);
    for (const [kid, before] of this.seen) {
      const now = view.anchors.get(kid);
      if (!now) this.violations.push(`${where}: kid ${kid} disappeared`);
      else if (now.pubB64u !== before.pubB64u) this.violations.push(`${where}: kid ${kid} changed its key`);
      else if (RANK[now.status] < RANK[before.status]) this.violations.push(`${where}: kid ${kid} went ${before.status} -> ${now.status}`);
    }
    for (const [kid, a] of view.anchors) {
      const before = this.seen.get(kid);
      if (!before || RANK[a.status] > RANK[before.status]) this.seen.set(kid, a);
    }
    for (const [kid, want] of (await this.expectedAt(view.seq)) ?? []) {
      const have = view.anchors.get(kid);
      if (!have || RANK[have.status] < RANK[want.status]) {
        this.violations.push(`${where}: state says #${view.seq} but kid ${kid} is ${have?.status ?? 'missing'}, not ${want.status}`);
      }
    }
  }
}

/** The anchors a reader saw at the first moment each seq was visible (then anchors and state agree). */
function firstViews(views: readonly View[]): Map<number, Map<string, Anchor>> {
  const out = new Map<number, Map<string, Anchor>>();
  for (const v of views) if (!out.has(v.seq)) out.set(v.seq, v.anchors);
  return out;
}

const plain = (view: View) => ({ seq: view.seq, anchors: [...view.anchors.values()] });

const ORG = 'org-a';
const POLICY: CrossOrgPolicy = { allowRotation: true, ops: { apply: { dailyCap: 100_000 }, pull: { dailyCap: 100_000 } } };

/**
 * A log of six packs served two per page, so a sync takes three pages:
 * 1 base {k1, k2}; 2 adds k3; 3 k1 (the pinned root) signs its own
 * retirement, handing over; 4 revokes k2, signed by k3 (trusted by rotation
 * only); 5 adds k4; 6 retires k3, signed by k4.
 */
async function syncFeed() {
  const key = (kid: string) => {
    const { secretKey } = generateKeyPair();
    return { kid, secretKey, pubB64u: bytesToB64u(publicKeyOf(secretKey)) };
  };
  const [k1, k2, k3, k4] = ['k1', 'k2', 'k3', 'k4'].map(key) as [ReturnType<typeof key>, ReturnType<typeof key>, ReturnType<typeof key>, ReturnType<typeof key>];
  const at = (i: number) => T0 + i * MIN;
  const a = (k: { kid: string; pubB64u: string }, status: AnchorStatus, i: number) => anchorOf(ORG, k.kid, k.pubB64u, status, iso(at(0)), iso(at(i)));
  const steps: Array<[Anchor[], PackSigner]> = [
    [[a(k1, 'ACTIVE', 0), a(k2, 'ACTIVE', 0)], k1],
    [[a(k3, 'ACTIVE', 0)], k1],
    [[a(k1, 'RETIRED', 3)], k1],
    [[a(k2, 'REVOKED', 4)], k3],
    [[a(k4, 'ACTIVE', 0)], k3],
    [[a(k3, 'RETIRED', 6)], k4],
  ];
  const packs: AnchorPack[] = [];
  for (const [i, [anchors, signer]] of steps.entries()) {
    const prev = packs[i - 1];
    const body = packBody(ORG, i + 1, anchors, { issuedAt: at(i + 1), expiresAt: at(i + 1) + DAY, ...(prev ? { prev: packHash(prev) } : {}) });
    packs.push(signAnchorPack(body, [{ kid: signer.kid, secretKey: signer.secretKey }]));
  }
  // A relay that pinned k1 accepted them all and serves them.
  const relay = memoryStorage();
  await pinTrustAnchor(relay, { ns: NS, orgId: ORG, kid: 'k1', pubB64u: k1.pubB64u });
  for (const pack of packs) await applyAnchorPack({ storage: relay, clock: () => at(1), policy: { allowRotation: true } }, pack, { keepPack: true });
  return { packs, relay, k1, k3: { kid: k3.kid, secretKey: k3.secretKey } as PackSigner, clockAt: at(10) };
}

type Feed = Awaited<ReturnType<typeof syncFeed>>;

interface SyncRig {
  inner: StorageDriver;
  marks: StorageDriver | undefined;
  counter: WriteCounter;
  run(): Promise<SyncResult>;
  views: View[];
}

async function syncRig(feed: Feed, withHighWater: boolean, fault: { failAtWrite?: number; mode?: 'fail' | 'torn' }, onView: (v: View, e: WriteEvent) => void | Promise<void>): Promise<SyncRig> {
  const inner = makeDriver();
  const innerMarks = withHighWater ? makeDriver() : undefined;
  await pinTrustAnchor(inner, { ns: NS, orgId: ORG, kid: 'k1', pubB64u: feed.k1.pubB64u });
  const counter: WriteCounter = { writes: 0 };
  const views: View[] = [];
  const afterWrite = async (e: WriteEvent) => {
    const v = await readView(inner, ORG);
    views.push(v);
    await onView(v, e);
  };
  const storage = faultyStorage(inner, { ...fault, counter, afterWrite });
  const highWater = innerMarks ? faultyStorage(innerMarks, { ...fault, counter, afterWrite }) : undefined;
  const run = async () => {
    const [result] = await runAnchorSync({
      storage,
      clock: () => feed.clockAt,
      policy: POLICY,
      transport: loopbackTransport(feed.relay, { pageSize: 2 }),
      peers: [{ ns: NS, orgId: ORG }],
      force: true,
      ...(highWater ? { highWater } : {}),
    });
    return result!;
  };
  return { inner, marks: innerMarks, counter, run, views };
}

async function syncOutcome(rig: SyncRig) {
  return {
    view: plain(await readView(rig.inner, ORG)),
    state: await getSyncState(rig.inner, NS, ORG),
    mark: rig.marks ? await readHighWater(rig.marks, NS, ORG) : undefined,
  };
}

for (const [driverName, factory] of DRIVERS) describe(`crash safety on ${driverName}: a sync of six packs over three pages, with a rotation and a revocation`, () => {
  beforeAll(() => {
    makeDriver = factory;
  });
  for (const withHighWater of [false, true]) {
    it(`a failure at any write${withHighWater ? ' (high-water marks kept)' : ''}, lost or torn, is completed by the next sync, and no reader ever sees a lower seq or a less withdrawn key`, async () => {
      const feed = await syncFeed();
      const clean = await syncRig(feed, withHighWater, {}, () => {});
      const cleanResult = await clean.run();
      expect(cleanResult).toMatchObject({ ok: true, fromSeq: 0, toSeq: 6, pages: 3, packsApplied: 6, revoked: 1, retired: 2 });
      const expected = await syncOutcome(clean);
      expect(expected.view.anchors.map((x) => `${x.kid}:${x.status}`)).toEqual(['k1:RETIRED', 'k2:REVOKED', 'k3:RETIRED', 'k4:ACTIVE']);
      if (withHighWater) expect(expected.mark).toMatchObject({ seq: 6, hash: packHash(feed.packs[5]!) });
      const expectedAt = firstViews(clean.views);
      const writes = clean.counter.writes;
      expect(writes).toBeGreaterThanOrEqual(6 * 3);

      let runs = 0;
      for (const mode of MODES) {
        for (let n = 1; n <= writes; n++) {
          const where = `${mode} write #${n}`;
          const forward = new ForwardOnly(async (seq) => expectedAt.get(seq));
          const rig = await syncRig(feed, withHighWater, { failAtWrite: n, mode }, (v, e) => forward.check(v, `${where}, after write #${e.n} ${e.op} ${e.key}`));
          const crashed = await rig.run();
          expect(rig.counter.failedAt, where).toBe(n);
          expect(crashed.ok, where).toBe(false);
          expect(crashed.rejected?.code, where).toBe('ERR_STORAGE');
          const again = await rig.run();
          expect(again, where).toMatchObject({ ok: true, toSeq: 6 });
          expect(await syncOutcome(rig), where).toEqual(expected);
          expect(forward.violations, where).toEqual([]);
          runs++;
        }
      }
      expect(runs).toBe(2 * writes);
    });
  }
});

/** The anchors the publisher's own log gives at `seq`: every pack 1..seq merged in order. */
async function logAnchorsAt(log: StorageDriver, seq: number): Promise<Map<string, Anchor> | undefined> {
  let anchors: Anchor[] = [];
  for (let s = 1; s <= seq; s++) {
    const pack = await loadPack(log, NS, ORG, s);
    if (!pack) return undefined;
    anchors = mergeAnchors(anchors, pack.anchors, pack.prev === undefined).anchors;
  }
  return new Map(anchors.map((a) => [a.kid, a]));
}

/** The same keys in every run, so runs can be compared. */
const SECRETS = new Map(['k1', 'k2', 'k3', 'k4', 'k5'].map((kid) => [kid, generateKeyPair().secretKey]));

/**
 * Five publishes: a base of k1..k3; retire k1; revoke k2; a snapshot base
 * after adding k4; revoke k4 after adding k5. Signer changes go to the store
 * directly; only the publishes run through the faulty wrapper. A client that
 * pinned k1 syncs after every publish attempt, failed or not, so it sees
 * every pack the publisher ever served. A publish that fails is retried a
 * minute later (a re-signed pack would then differ in its bytes).
 */
async function publishRig(withHighWater: boolean, fault: { failAtWrite?: number; mode?: 'fail' | 'torn' }) {
  const clock = testClock();
  // Retries run later than the attempt they repeat; signer changes keep the base clock, so both runs record the same times.
  let retryDelay = 0;
  const publishClock = () => clock() + retryDelay;
  const inner = makeDriver();
  const marks = withHighWater ? makeDriver() : undefined;
  const counter: WriteCounter = { writes: 0 };
  const forward = new ForwardOnly((seq) => logAnchorsAt(inner, seq));
  const clientForward = new ForwardOnly((seq) => logAnchorsAt(inner, seq));
  const firstPack = new Map<string, string>();
  const rewritten: string[] = [];
  const afterWrite = async (e: WriteEvent) => {
    if (e.key.startsWith(storageKeys.packPrefix(NS, ORG))) {
      const text = JSON.stringify(await inner.get(e.key));
      const first = firstPack.get(e.key);
      if (first === undefined) firstPack.set(e.key, text);
      else if (first !== text) rewritten.push(e.key);
    }
    await forward.check(await readView(inner, ORG), `write #${e.n} ${e.op} ${e.key}`);
  };
  const storage = faultyStorage(inner, { ...fault, counter, afterWrite });
  const highWater = marks ? faultyStorage(marks, { ...fault, counter, afterWrite }) : undefined;

  const client = memoryStorage();
  const add = async (kid: string) => {
    await addSigner(inner, { kid, clock, secretKey: SECRETS.get(kid)! });
  };
  for (const kid of ['k1', 'k2', 'k3']) await add(kid);
  const k1 = (await listSigners(inner)).find((s) => s.kid === 'k1')!;
  await pinTrustAnchor(client, { ns: NS, orgId: ORG, kid: 'k1', pubB64u: k1.pubB64u });
  const clientSync = async () => {
    const [r] = await runAnchorSync({ storage: client, clock: () => clock() + 10 * MIN, policy: { allowRotation: true }, transport: loopbackTransport(inner), peers: [{ ns: NS, orgId: ORG }], force: true });
    expect(r, 'the client following the publisher never sees a bad pack').toMatchObject({ ok: true });
    await clientForward.check(await readView(client, ORG), 'client');
  };
  // One signature a pack (the oldest key still ACTIVE) keeps the matrix fast; rotation carries trust on.
  const publish = (signer: string, extra: { snapshot?: boolean } = {}) => async () => {
    const options = { storage, ns: NS, orgId: ORG, clock: publishClock, signWith: [signer], ...(highWater ? { highWater } : {}), ...extra };
    try {
      await publishAnchorPack(options);
    } catch (error) {
      expect((error as { code?: string }).code).toBe('ERR_STORAGE');
      await clientSync();
      retryDelay += MIN;
      await publishAnchorPack(options);
    }
    await clientSync();
  };
  const steps: Array<() => Promise<unknown>> = [
    publish('k1'),
    () => retireSigner(inner, 'k1', { clock }),
    publish('k2'),
    () => revokeSigner(inner, 'k2', { clock }),
    publish('k3'),
    () => add('k4'),
    publish('k3', { snapshot: true }),
    () => add('k5'),
    () => revokeSigner(inner, 'k4', { clock }),
    publish('k3'),
  ];
  const runAll = async () => {
    for (const step of steps) {
      clock.advance(MIN);
      await step();
    }
  };
  return { inner, client, marks, counter, rewritten, forward, clientForward, runAll };
}

async function publishOutcome(rig: { inner: StorageDriver; client: StorageDriver; marks: StorageDriver | undefined }) {
  const fresh = memoryStorage();
  const signers = await listSigners(rig.inner);
  // A new client starts at the newest base, which only today's keys sign: it pins k3, the oldest still ACTIVE.
  await pinTrustAnchor(fresh, { ns: NS, orgId: ORG, kid: 'k3', pubB64u: signers.find((s) => s.kid === 'k3')!.pubB64u });
  const [r] = await runAnchorSync({ storage: fresh, policy: { allowRotation: true }, transport: loopbackTransport(rig.inner), peers: [{ ns: NS, orgId: ORG }], clock: () => T0 + 30 * MIN });
  expect(r).toMatchObject({ ok: true });
  return {
    own: await getAnchors(rig.inner, NS, ORG),
    signers: signers.map((s) => signerToAnchor(ORG, s)),
    follower: await getAnchors(rig.client, NS, ORG),
    fresh: await getAnchors(fresh, NS, ORG),
  };
}

/** The pack log is one chain 1..head, the base index lists exactly its bases, and the state names the head. */
async function expectValidLog(storage: StorageDriver, marks: StorageDriver | undefined, where: string): Promise<void> {
  const seqs = await listPackSeqs(storage, NS, ORG);
  const state = await getSyncState(storage, NS, ORG);
  expect(seqs, where).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
  expect(state?.seq, where).toBe(seqs.length);
  const bases: number[] = [];
  let prev: AnchorPack | undefined;
  for (const seq of seqs) {
    const pack = (await loadPack(storage, NS, ORG, seq))!;
    if (pack.prev === undefined) bases.push(seq);
    else expect(pack.prev, `${where}: pack #${seq} chains to #${seq - 1}`).toBe(packHash(prev!));
    prev = pack;
  }
  expect(state?.hash, where).toBe(packHash(prev!));
  expect(await storage.get(storageKeys.packBases(NS, ORG)), `${where}: base index`).toEqual(bases as JsonValue);
  if (marks) expect(await readHighWater(marks, NS, ORG), where).toMatchObject({ seq: state?.seq, hash: state?.hash });
}

for (const [driverName, factory] of DRIVERS) describe(`crash safety on ${driverName}: five publishes with a retirement, a revocation and a snapshot`, () => {
  beforeAll(() => {
    makeDriver = factory;
  });
  for (const withHighWater of [false, true]) {
    it(`a failure at any write${withHighWater ? ' (high-water marks kept)' : ''}, lost or torn, is completed by publishing again: one chain, no seq signed twice, own view = signers, followers and new clients agree`, async () => {
      const clean = await publishRig(withHighWater, {});
      await clean.runAll();
      const writes = clean.counter.writes;
      await expectValidLog(clean.inner, clean.marks, 'no fault');
      const expected = await publishOutcome(clean);
      expect(expected.own).toEqual(expected.signers);
      expect(expected.follower).toEqual(expected.own);
      expect(expected.fresh).toEqual(expected.own);
      expect(expected.own.map((a) => `${a.kid}:${a.status}`)).toEqual(['k1:RETIRED', 'k2:REVOKED', 'k3:ACTIVE', 'k4:REVOKED', 'k5:ACTIVE']);
      expect([...clean.forward.violations, ...clean.clientForward.violations]).toEqual([]);

      for (const mode of MODES) {
        for (let n = 1; n <= writes; n++) {
          const where = `${mode} write #${n}`;
          const rig = await publishRig(withHighWater, { failAtWrite: n, mode });
          await rig.runAll();
          expect(rig.counter.failedAt, where).toBe(n);
          await expectValidLog(rig.inner, rig.marks, where);
          expect(rig.rewritten, `${where}: no seq signed twice`).toEqual([]);
          expect(await publishOutcome(rig), where).toEqual(expected);
          expect(rig.forward.violations, where).toEqual([]);
          expect(rig.clientForward.violations, where).toEqual([]);
        }
      }
    });
  }
});

describe('crash safety: the cases the matrices reach only by luck', () => {
  it('while an interrupted apply is pending, another pack at its seq is ERR_PACK_EQUIVOCATION with evidence, even when a key the pending pack added would verify it', async () => {
    const feed = await syncFeed();
    const inner = memoryStorage();
    await pinTrustAnchor(inner, { ns: NS, orgId: ORG, kid: 'k1', pubB64u: feed.k1.pubB64u });
    const ctx = { clock: () => feed.clockAt, policy: { allowRotation: true } };
    await applyAnchorPack({ ...ctx, storage: inner }, feed.packs[0]);
    // Pack 2 adds k3; the apply dies at its third write, the state (intent, anchors, state).
    const crashing = faultyStorage(inner, { failAtWrite: 3 });
    const error = await applyAnchorPack({ ...ctx, storage: crashing }, feed.packs[1]).catch((e: unknown) => e);
    expect((error as { code?: string; cause?: { key?: string } }).cause?.key).toBe(storageKeys.syncState(NS, ORG));
    expect((await getAnchors(inner, NS, ORG)).map((a) => a.kid)).toEqual(['k1', 'k2', 'k3']);
    // k3 is now an ACTIVE anchor (trusted by rotation) and signs a different pack 2.
    const other = signAnchorPack(packBody(ORG, 2, [anchorOf(ORG, 'k2', feed.packs[0]!.anchors[1]!.pubB64u, 'RETIRED', iso(T0), iso(T0 + 2 * MIN))], { prev: packHash(feed.packs[0]!), issuedAt: T0 + 2 * MIN }), [feed.k3]);
    const before = await snapshotOf(inner);
    const refused = await applyAnchorPack({ ...ctx, storage: inner }, other).catch((e: unknown) => e);
    expect((refused as { code?: string }).code).toBe('ERR_PACK_EQUIVOCATION');
    expect(await listEquivocationEvidence(inner, NS, ORG)).toMatchObject([{ seq: 2, acceptedHash: packHash(feed.packs[1]!), receivedHash: packHash(other) }]);
    expect(withoutEvidence(await snapshotOf(inner))).toEqual(before);
    // The pending pack itself still completes, and the log continues from it.
    await expect(applyAnchorPack({ ...ctx, storage: inner }, feed.packs[1])).resolves.toMatchObject({ status: 'applied', seq: 2 });
    await expect(applyAnchorPack({ ...ctx, storage: inner }, feed.packs[2])).resolves.toMatchObject({ status: 'applied', seq: 3 });
  });

  it('a publish that died after logging its pack completes on the next publish even when the key that signed it was revoked meanwhile, and the next pack carries the revocation', async () => {
    const clock = testClock();
    const inner = memoryStorage();
    for (const kid of ['k1', 'k2']) await addSigner(inner, { kid, clock, secretKey: SECRETS.get(kid)! });
    await publishAnchorPack({ storage: inner, ns: NS, orgId: ORG, clock });
    await addSigner(inner, { kid: 'k3', clock, secretKey: SECRETS.get('k3')! });
    // Pack 2 (adds k3, signed by k2 alone) lands in the log; the publish dies right after.
    const torn = faultyStorage(inner, { failAtWrite: 1, mode: 'torn' });
    await expect(publishAnchorPack({ storage: torn, ns: NS, orgId: ORG, clock, signWith: ['k2'] })).rejects.toMatchObject({ code: 'ERR_STORAGE' });
    const orphan = (await loadPack(inner, NS, ORG, 2))!;
    expect(orphan.sig.map((s) => s.kid)).toEqual(['k2']);
    clock.advance(MIN);
    await revokeSigner(inner, 'k2', { clock });
    const next = await publishAnchorPack({ storage: inner, ns: NS, orgId: ORG, clock });
    expect(next.pack).toMatchObject({ seq: 3, prev: packHash(orphan) });
    expect(next.changed).toEqual(['k2']);
    expect(await loadPack(inner, NS, ORG, 2)).toEqual(orphan);
    await expectValidLog(inner, undefined, 'after the revocation');
    const client = memoryStorage();
    await pinTrustAnchor(client, { ns: NS, orgId: ORG, kid: 'k1', pubB64u: (await listSigners(inner))[0]!.pubB64u });
    const [r] = await runAnchorSync({ storage: client, clock, policy: { allowRotation: true }, transport: loopbackTransport(inner), peers: [{ ns: NS, orgId: ORG }] });
    expect(r).toMatchObject({ ok: true, toSeq: 3 });
    expect((await getAnchors(client, NS, ORG)).map((a) => `${a.kid}:${a.status}`)).toEqual(['k1:ACTIVE', 'k2:REVOKED', 'k3:ACTIVE']);
  });
});

async function snapshotOf(storage: StorageDriver): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of await storage.list('')) out[key] = JSON.stringify(await storage.get(key));
  return out;
}

function withoutEvidence(snap: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(snap).filter(([k]) => !k.startsWith('fed:evidence:')));
}

describe('the fault-injecting wrapper itself', () => {
  it('counts sets and deletes but not reads; write N is lost in fail mode and lands in torn mode, both throw; later writes go through; a shared counter numbers across stores', async () => {
    for (const mode of ['fail', 'torn'] as const) {
      const inner = memoryStorage();
      const seen: number[] = [];
      const counter: WriteCounter = { writes: 0 };
      const a = faultyStorage(inner, { failAtWrite: 3, mode, counter, afterWrite: (e) => void seen.push(e.n) });
      const b = faultyStorage(memoryStorage(), { failAtWrite: 3, mode, counter });
      await a.set('one', 1);
      await a.get('one');
      await a.list('');
      await b.delete('nothing');
      await expect(a.set('three', 3)).rejects.toMatchObject({ name: 'InjectedFault', n: 3, key: 'three', torn: mode === 'torn' });
      expect(await inner.get('three')).toBe(mode === 'torn' ? 3 : undefined);
      await a.set('four', 4);
      expect(await inner.get('four')).toBe(4);
      expect(counter).toEqual({ writes: 4, failedAt: 3 });
      expect(seen).toEqual(mode === 'torn' ? [1, 3, 4] : [1, 4]);
    }
  });
});
