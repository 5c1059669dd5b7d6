/**
 * Property: for any valid publish history and any adversarial delivery of
 * its packs (duplicates, reordering, replays, gaps), a client
 *  (a) never lowers its seq,
 *  (b) never un-revokes a kid, never re-activates a retired one, never forgets a kid,
 *  (c) always holds exactly the publisher's view at its own seq (and that
 *      pack's hash), accepting or rejecting each pack as a small reference
 *      model of DESIGN.md rule 3 predicts, a rejection leaving storage as it was,
 * and one clean paged sync then brings it (and a fresh client) to the
 * publisher's latest state.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AnchorSyncError,
  addSigner,
  applyAnchorPack,
  formatTimestamp,
  getAnchors,
  getSyncState,
  isAnchorSyncError,
  loopbackTransport,
  packHash,
  pinTrustAnchor,
  publishAnchorPack,
  retireSigner,
  revokeSigner,
  runAnchorSync,
  type Anchor,
  type AnchorPack,
  type AnchorStatus,
  type StorageDriver,
} from '@anchorsync/core';
import { memoryStorage } from '@anchorsync/storage-memory';
import { DAY_MS, NS, ORG, RANK, T0, TTL_MS, clone, dumpObject, dumpStorage, manualClock, pubOf, seedKey } from './arbitraries.ts';

const NUM_RUNS = 100;

type Op =
  | { t: 'add' }
  | { t: 'retire'; pick: number }
  | { t: 'revoke'; pick: number }
  | { t: 'publish' }
  | { t: 'snapshot' };

/** One delivery: a pack picked at random, or the pack right after the client's seq (so long histories get walked too). */
type Delivery = { k: 'any'; i: number } | { k: 'next'; i: number } | { k: 'current'; i: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.constant<Op>({ t: 'add' }), weight: 3 },
  { arbitrary: fc.nat().map((pick): Op => ({ t: 'retire', pick })), weight: 2 },
  { arbitrary: fc.nat().map((pick): Op => ({ t: 'revoke', pick })), weight: 2 },
  { arbitrary: fc.constant<Op>({ t: 'publish' }), weight: 4 },
  { arbitrary: fc.constant<Op>({ t: 'snapshot' }), weight: 1 },
);

const deliveryArb: fc.Arbitrary<Delivery> = fc.oneof(
  { arbitrary: fc.nat().map((i): Delivery => ({ k: 'any', i })), weight: 4 },
  { arbitrary: fc.nat().map((i): Delivery => ({ k: 'next', i })), weight: 4 },
  { arbitrary: fc.nat().map((i): Delivery => ({ k: 'current', i })), weight: 1 },
);

const scenarioArb = fc.record({
  ops: fc.array(opArb, { minLength: 1, maxLength: 24, size: 'medium' }),
  /** Clock steps between operations (0 allowed: two events in the same millisecond). */
  steps: fc.array(fc.integer({ min: 0, max: DAY_MS }), { minLength: 1, maxLength: 8 }),
  deliveries: fc.array(deliveryArb, { minLength: 0, maxLength: 24, size: 'medium' }),
  /** The client's clock, somewhere in the history's first weeks (packs issued later only warn). */
  clientOffset: fc.integer({ min: 0, max: 30 * DAY_MS }),
  pageSize: fc.integer({ min: 1, max: 3 }),
});

interface ModelSigner {
  kid: string;
  pubB64u: string;
  status: AnchorStatus;
  createdAt: string;
  updatedAt: string;
}

interface Published {
  pack: AnchorPack;
  hash: string;
  /** The reference model's anchors right after this publish (= view at this seq). */
  view: Anchor[];
}

const byKid = (a: { kid: string }, b: { kid: string }) => (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0);

function modelView(signers: Iterable<ModelSigner>): Anchor[] {
  return [...signers]
    .map((s) => ({ orgId: ORG, kid: s.kid, pubB64u: s.pubB64u, status: s.status, createdAt: s.createdAt, updatedAt: s.updatedAt }))
    .sort(byKid);
}

/** Runs the generated history on a fresh publisher; returns every pack, in order, with the view it publishes. */
async function runHistory(ops: readonly Op[], steps: readonly number[]): Promise<{ publisher: StorageDriver; published: Published[]; end: number }> {
  const publisher = memoryStorage();
  const time = manualClock(T0);
  const clock = time.clock;
  const model = new Map<string, ModelSigner>();
  const add = async (kid: string, index: number) => {
    const secretKey = seedKey(index);
    await addSigner(publisher, { kid, secretKey, clock });
    const at = formatTimestamp(time.now);
    model.set(kid, { kid, pubB64u: pubOf(secretKey), status: 'ACTIVE', createdAt: at, updatedAt: at });
  };
  await add('root', 0);

  const published: Published[] = [];
  let lastView: Anchor[] = [];
  let added = 0;
  const all = ops.some((o) => o.t === 'publish' || o.t === 'snapshot') ? ops : [...ops, { t: 'publish' } as Op];
  for (let i = 0; i < all.length; i++) {
    const op = all[i]!;
    time.advance(steps[i % steps.length]!);
    const nonRoot = [...model.values()].filter((s) => s.kid !== 'root').sort(byKid);
    switch (op.t) {
      case 'add':
        added++;
        await add(`k${added}`, added);
        break;
      case 'retire':
      case 'revoke': {
        const candidates = nonRoot.filter((s) => (op.t === 'retire' ? s.status === 'ACTIVE' : s.status !== 'REVOKED'));
        if (candidates.length === 0) break;
        const s = candidates[op.pick % candidates.length]!;
        if (op.t === 'retire') await retireSigner(publisher, s.kid, { clock });
        else await revokeSigner(publisher, s.kid, { clock });
        s.status = op.t === 'retire' ? 'RETIRED' : 'REVOKED';
        s.updatedAt = formatTimestamp(time.now);
        break;
      }
      case 'publish':
      case 'snapshot': {
        const result = await publishAnchorPack({ storage: publisher, ns: NS, orgId: ORG, clock, ttlMs: TTL_MS, snapshot: op.t === 'snapshot' });
        const pack = clone(result.pack);
        const view = modelView(model.values());
        // The publisher side agrees with the reference model before any client is involved.
        expect(pack.seq).toBe(published.length + 1);
        expect(result.hash).toBe(packHash(pack));
        const isBase = published.length === 0 || op.t === 'snapshot';
        if (isBase) {
          expect(pack.prev).toBeUndefined();
          expect([...pack.anchors].sort(byKid)).toEqual(view);
        } else {
          expect(pack.prev).toBe(published[published.length - 1]!.hash);
          const before = new Map(lastView.map((a) => [a.kid, a.status]));
          const changed = view.filter((a) => before.get(a.kid) !== a.status);
          expect([...pack.anchors].sort(byKid)).toEqual(changed);
        }
        expect(await getAnchors(publisher, NS, ORG)).toEqual(view);
        const state = await getSyncState(publisher, NS, ORG);
        expect({ seq: state?.seq, hash: state?.hash }).toEqual({ seq: pack.seq, hash: result.hash });
        published.push({ pack, hash: result.hash, view });
        lastView = view;
        break;
      }
    }
  }
  return { publisher, published, end: time.now };
}

type Expected = 'applied' | 'unchanged' | 'ERR_PACK_ROLLBACK' | 'ERR_PACK_CHAIN';

/** DESIGN.md rule 3 for an honest log: what applying `pack` to a client at `seq` (0 = none) must do. */
function expectedOutcome(seq: number, pack: AnchorPack): Expected {
  if (seq === 0) return pack.prev === undefined ? 'applied' : 'ERR_PACK_CHAIN';
  if (pack.seq < seq) return 'ERR_PACK_ROLLBACK';
  if (pack.seq === seq) return 'unchanged';
  if (pack.prev === undefined) return 'applied';
  return pack.seq === seq + 1 ? 'applied' : 'ERR_PACK_CHAIN';
}

async function newClient(now: () => number): Promise<StorageDriver> {
  const client = memoryStorage();
  await pinTrustAnchor(client, { ns: NS, orgId: ORG, kid: 'root', pubB64u: pubOf(seedKey(0)) }, { clock: now });
  return client;
}

describe('publish histories under adversarial delivery', () => {
  it('keeps seq monotone, lifecycles forward, and the view equal to the publisher view at the client seq', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async ({ ops, steps, deliveries, clientOffset, pageSize }) => {
        const { publisher, published } = await runHistory(ops, steps);
        const n = published.length;
        const clientNow = T0 + clientOffset;
        const clientClock = () => clientNow;
        const client = await newClient(clientClock);
        const ctx = { storage: client, clock: clientClock };

        let lastSeq = 0;
        const maxRank = new Map<string, number>();
        for (const d of deliveries) {
          const state = await getSyncState(client, NS, ORG);
          const seq = state?.seq ?? 0;
          let index = d.i % n;
          if (d.k === 'next' && seq < n) index = seq;
          if (d.k === 'current' && seq > 0) index = seq - 1;
          const pack = published[index]!.pack;
          const expected = expectedOutcome(seq, pack);
          const before = await dumpStorage(client);

          let got: string;
          try {
            got = (await applyAnchorPack(ctx, clone(pack))).status;
          } catch (error) {
            if (!isAnchorSyncError(error)) throw error;
            expect(error).toBeInstanceOf(AnchorSyncError);
            got = error.code;
          }
          expect(got, `delivery of #${pack.seq} (prev ${pack.prev === undefined ? 'none' : 'set'}) at client seq ${seq}`).toBe(expected);
          if (got !== 'applied') expect(dumpObject(await dumpStorage(client))).toEqual(dumpObject(before));

          // (a) seq never decreases.
          const after = await getSyncState(client, NS, ORG);
          const nowSeq = after?.seq ?? 0;
          expect(nowSeq).toBeGreaterThanOrEqual(lastSeq);
          lastSeq = nowSeq;

          // (c) the view is the publisher's view at exactly that seq, and the hash is that pack's.
          const anchors = await getAnchors(client, NS, ORG);
          if (after) {
            expect(after.hash).toBe(published[after.seq - 1]!.hash);
            expect(anchors).toEqual(published[after.seq - 1]!.view);
          } else {
            expect(anchors).toEqual([]);
          }

          // (b) per kid, status only moves forward and a kid once seen never disappears.
          const current = new Map(anchors.map((a) => [a.kid, RANK[a.status]]));
          for (const [kid, rank] of maxRank) {
            expect(current.has(kid), `kid ${kid} disappeared`).toBe(true);
            expect(current.get(kid)!, `kid ${kid} moved backwards`).toBeGreaterThanOrEqual(rank);
          }
          for (const [kid, rank] of current) maxRank.set(kid, Math.max(rank, maxRank.get(kid) ?? 0));
        }

        // One clean paged sync ends in the publisher's latest state, for this client and a fresh one.
        const head = await getSyncState(publisher, NS, ORG);
        const headAnchors = await getAnchors(publisher, NS, ORG);
        expect(head?.seq).toBe(n);
        for (const storage of [client, await newClient(clientClock)]) {
          const transport = loopbackTransport(publisher, { pageSize });
          const [result] = await runAnchorSync({ storage, transport, peers: [{ ns: NS, orgId: ORG }], clock: clientClock });
          expect(result?.rejected).toBeUndefined();
          expect(result?.ok).toBe(true);
          expect(result?.toSeq).toBe(n);
          const state = await getSyncState(storage, NS, ORG);
          expect({ seq: state?.seq, hash: state?.hash }).toEqual({ seq: head!.seq, hash: head!.hash });
          expect(state?.token).toBeUndefined();
          expect(await getAnchors(storage, NS, ORG)).toEqual(headAnchors);
          // Up to date: a second sync applies nothing and changes nothing but its bookkeeping.
          const [again] = await runAnchorSync({ storage, transport, peers: [{ ns: NS, orgId: ORG }], clock: clientClock, force: true });
          expect(again?.ok).toBe(true);
          expect(again?.packsApplied).toBe(0);
          expect(await getAnchors(storage, NS, ORG)).toEqual(headAnchors);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
