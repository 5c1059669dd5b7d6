/**
 * The sync engine end to end: planning, paged pulls with resumable state,
 * delta behaviour, relays (publish and push), persistence through a
 * StorageDriver, per-peer isolation and the concurrency guarantees.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '@anchorsync/storage-memory';
import {
  bytesToB64u,
  decodeToken,
  generateKeyPair,
  getAnchors,
  getSyncState,
  listEquivocationEvidence,
  loopbackTransport,
  packHash,
  planAnchorSync,
  pushAnchorPack,
  resolvePeerKey,
  runAnchorSync,
  signAnchorPack,
  storageKeys,
  type AnchorPack,
  type AuditEvent,
  type PeerRef,
  type PullPage,
  type PullRequest,
  type StorageDriver,
  type SyncOptions,
  type Transport,
} from '@anchorsync/core';
import {
  anchorOf,
  DAY,
  expectRejected,
  expectSyncRejected,
  HOUR,
  iso,
  makeClient,
  makeOrg,
  mapStorage,
  MIN,
  NS,
  packBody,
  rejectEvents,
  SEC,
  sleep,
  slowStorage,
  snapshot,
  testClock,
  type Client,
  type Org,
  type TestClock,
} from './helpers.ts';

const peer = (orgId: string): PeerRef => ({ ns: NS, orgId });

/** Wraps a transport: records every request and page, and lets a test act before a pull. */
function recording(inner: Transport, before?: (request: PullRequest, call: number) => void | Promise<void>) {
  const requests: PullRequest[] = [];
  const pages: PullPage[] = [];
  const transport: Transport = {
    async pull(request) {
      requests.push({ ...request });
      await before?.(request, requests.length);
      const page = await inner.pull(request);
      pages.push(page);
      return page;
    },
    push: (pack, options) => inner.push(pack, options),
  };
  return { transport, requests, pages };
}

/** An org with `packs` published packs, and a client that pinned its k1, on one clock. */
async function scenario(packs = 3, options: { clock?: TestClock; ttlMs?: number } = {}) {
  const clock = options.clock ?? testClock();
  const org = await makeOrg('org-a', { kids: ['k1', 'k2'], clock });
  const client = makeClient(clock);
  await client.pin(org);
  for (let i = 1; i <= packs; i++) {
    if (i > 1) {
      clock.advance(MIN);
      await org.addSigner(`n${i}`);
    }
    await org.publish(options.ttlMs === undefined ? {} : { ttlMs: options.ttlMs });
  }
  return { clock, org, client };
}

function sync(client: Client, transport: SyncOptions['transport'], extra: Partial<SyncOptions> = {}) {
  return runAnchorSync({ storage: client.storage, clock: client.clock, audit: client.audit, transport, peers: [peer('org-a')], ...extra });
}

describe('planAnchorSync', () => {
  it('a peer with no state is new: due, from seq 0', async () => {
    const { client } = await scenario(1);
    const plan = await planAnchorSync(client.storage, [peer('org-a')], { clock: client.clock });
    expect(plan).toEqual({ createdAt: iso(client.clock()), peers: [{ ns: NS, orgId: 'org-a', since: 0, due: true, reason: 'new' }] });
  });

  it('refreshAfterSec makes a synced peer not-due until it has passed, then due from its seq', async () => {
    const { client, org, clock } = await scenario(2);
    await sync(client, loopbackTransport(org.storage, { refreshAfterSec: 600 }));
    expect((await getSyncState(client.storage, NS, 'org-a'))?.nextSyncAt).toBe(iso(clock() + 600 * SEC));
    const notDue = await planAnchorSync(client.storage, [peer('org-a')], { clock });
    expect(notDue.peers).toEqual([{ ns: NS, orgId: 'org-a', since: 2, due: false, reason: 'not-due' }]);
    clock.advance(600 * SEC);
    const due = await planAnchorSync(client.storage, [peer('org-a')], { clock });
    expect(due.peers).toEqual([{ ns: NS, orgId: 'org-a', since: 2, due: true, reason: 'due' }]);
  });

  it('a peer whose accepted pack has expired is due (reason expired) even before its refresh time', async () => {
    const { client, org, clock } = await scenario(1, { ttlMs: HOUR });
    await sync(client, loopbackTransport(org.storage, { refreshAfterSec: 2 * 86_400 }));
    clock.advance(HOUR);
    const plan = await planAnchorSync(client.storage, [peer('org-a')], { clock });
    expect(plan.peers[0]).toMatchObject({ due: true, reason: 'expired', since: 1 });
  });

  it('force pulls a not-due peer (reason forced)', async () => {
    const { client, org, clock } = await scenario(1);
    await sync(client, loopbackTransport(org.storage, { refreshAfterSec: 600 }));
    const plan = await planAnchorSync(client.storage, [peer('org-a')], { clock, force: true });
    expect(plan.peers[0]).toMatchObject({ due: true, reason: 'forced', since: 1 });
  });

  it('a peer the pull policy denies is not due (reason policy)', async () => {
    const { client, clock } = await scenario(1);
    const policy = { ops: { pull: { allow: ['org-b'] } } };
    const plan = await planAnchorSync(client.storage, [peer('org-a'), peer('org-b')], { clock, policy, force: true });
    expect(plan.peers.map((p) => [p.orgId, p.due, p.reason])).toEqual([
      ['org-a', false, 'policy'],
      ['org-b', true, 'forced'],
    ]);
  });

  it('plans several peers at once, in order, with duplicates removed', async () => {
    const { client, org, clock } = await scenario(1);
    await sync(client, loopbackTransport(org.storage, { refreshAfterSec: 600 }));
    const plan = await planAnchorSync(client.storage, [peer('org-a'), peer('org-b'), peer('org-a'), { ns: 'staging', orgId: 'org-a' }, peer('org-b')], {
      clock,
    });
    expect(plan.peers.map((p) => `${p.ns}/${p.orgId}:${p.reason}`)).toEqual(['prod/org-a:not-due', 'prod/org-b:new', 'staging/org-a:new']);
  });

  it('an invalid peer id is ERR_INVALID_ARGUMENT', async () => {
    await expect(planAnchorSync(memoryStorage(), [{ ns: NS, orgId: 'a:b' }])).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });

  it('runAnchorSync pulls only due peers and reports duplicates once', async () => {
    const { client, org } = await scenario(1);
    const rec = recording(loopbackTransport(org.storage, { refreshAfterSec: 600 }));
    const first = await sync(client, rec.transport, { peers: [peer('org-a'), peer('org-a')] });
    expect(first).toHaveLength(1);
    expect(rec.requests).toHaveLength(1);
    const second = await sync(client, rec.transport);
    expect(second).toEqual([]);
    expect(rec.requests).toHaveLength(1);
  });
});

describe('runAnchorSync: accepting and delta', () => {
  it('a new peer receives the full set in one run and reports per-peer counts', async () => {
    const { client, org } = await scenario(3);
    const [result] = await sync(client, loopbackTransport(org.storage));
    expect(result).toEqual({
      ns: NS,
      orgId: 'org-a',
      ok: true,
      fromSeq: 0,
      toSeq: 3,
      pages: 1,
      packsApplied: 3,
      added: 4,
      updated: 0,
      retired: 0,
      revoked: 0,
      unchanged: 0,
      warnings: [],
    });
    expect(await getAnchors(client.storage, NS, 'org-a')).toEqual(await getAnchors(org.storage, NS, 'org-a'));
    expect((await getSyncState(client.storage, NS, 'org-a'))?.hash).toBe((await getSyncState(org.storage, NS, 'org-a'))?.hash);
  });

  it('an up-to-date peer costs one not-modified request and changes no anchors', async () => {
    const { client, org } = await scenario(2);
    await sync(client, loopbackTransport(org.storage));
    const anchorsBefore = await client.storage.get(storageKeys.anchors(NS, 'org-a'));
    const rec = recording(loopbackTransport(org.storage));
    const [result] = await sync(client, rec.transport, { force: true });
    expect(result).toMatchObject({ ok: true, fromSeq: 2, toSeq: 2, pages: 1, packsApplied: 0, added: 0 });
    expect(rec.requests).toHaveLength(1);
    expect(rec.requests[0]).toMatchObject({ since: 2, sinceHash: (await getSyncState(client.storage, NS, 'org-a'))!.hash });
    expect(rec.pages[0]).toEqual({ packs: [], notModified: true });
    expect(client.events.at(-1)).toMatchObject({ type: 'FED_ANCHOR_SYNC_PULL', since: 2, packs: 0, notModified: true });
    expect(await client.storage.get(storageKeys.anchors(NS, 'org-a'))).toEqual(anchorsBefore);
  });

  it('a peer that is behind receives only the packs after its seq', async () => {
    const { client, org } = await scenario(2);
    await sync(client, loopbackTransport(org.storage));
    await org.revoke('k2');
    await org.publish();
    const rec = recording(loopbackTransport(org.storage));
    const [result] = await sync(client, rec.transport, { force: true });
    expect(rec.requests[0]).toMatchObject({ since: 2 });
    expect((rec.pages[0]!.packs as { seq: number }[]).map((p) => p.seq)).toEqual([3]);
    expect(result).toMatchObject({ ok: true, fromSeq: 2, toSeq: 3, packsApplied: 1, revoked: 1, updated: 1, added: 0 });
  });

  it('a revocation propagates: the revoked key is REVOKED at the client and no longer usable', async () => {
    const { client, org, clock } = await scenario(1);
    await sync(client, loopbackTransport(org.storage));
    expect((await resolvePeerKey(client.storage, NS, 'org-a', 'k2', { now: clock() })).usable).toBe(true);
    clock.advance(HOUR);
    await org.revoke('k2');
    await org.publish();
    const [result] = await sync(client, loopbackTransport(org.storage), { force: true });
    expect(result).toMatchObject({ ok: true, revoked: 1 });
    expect((await getAnchors(client.storage, NS, 'org-a')).find((a) => a.kid === 'k2')).toMatchObject({
      status: 'REVOKED',
      updatedAt: iso(clock()),
    });
    expect(await resolvePeerKey(client.storage, NS, 'org-a', 'k2', { now: clock() })).toMatchObject({ usable: false, reason: 'REVOKED' });
  });

  it('re-running a completed sync is idempotent: same anchors, same seq and hash, nothing applied', async () => {
    const { client, org } = await scenario(3);
    await sync(client, loopbackTransport(org.storage, { pageSize: 2 }));
    const anchors = await getAnchors(client.storage, NS, 'org-a');
    const state = await getSyncState(client.storage, NS, 'org-a');
    for (let i = 0; i < 2; i++) {
      const [again] = await sync(client, loopbackTransport(org.storage, { pageSize: 2 }), { force: true });
      expect(again).toMatchObject({ ok: true, packsApplied: 0, added: 0, updated: 0, fromSeq: 3, toSeq: 3 });
    }
    expect(await getAnchors(client.storage, NS, 'org-a')).toEqual(anchors);
    expect(await getSyncState(client.storage, NS, 'org-a')).toMatchObject({ seq: state!.seq, hash: state!.hash });
  });
});

describe('runAnchorSync: a long-lived log', () => {
  // Freeze attacks are about the newest pack a client ends at; old packs of a
  // log always expire, yet a new peer must still receive the full set.
  async function weeklyLog(weeks: number) {
    const clock = testClock();
    const org = await makeOrg('org-a', { kids: ['k1', 'k2'], clock });
    for (let w = 0; w < weeks; w++) {
      if (w > 0) {
        clock.advance(7 * DAY);
        await org.addSigner(`w${w}`);
      }
      await org.publish();
    }
    return { clock, org };
  }

  it('a new client syncs a log whose early packs have expired when the newest pack is fresh', async () => {
    const { clock, org } = await weeklyLog(4);
    const client = makeClient(clock);
    await client.pin(org);
    const [result] = await sync(client, loopbackTransport(org.storage));
    expect(result?.rejected).toBeUndefined();
    expect(result).toMatchObject({ ok: true, toSeq: 4 });
    expect(await getAnchors(client.storage, NS, 'org-a')).toEqual(await getAnchors(org.storage, NS, 'org-a'));
  });

  it('a client that was away while intermediate packs expired catches up to the fresh head', async () => {
    const clock = testClock();
    const org = await makeOrg('org-a', { kids: ['k1', 'k2'], clock });
    await org.publish();
    const client = makeClient(clock);
    await client.pin(org);
    await sync(client, loopbackTransport(org.storage));
    for (let w = 1; w <= 3; w++) {
      clock.advance(7 * DAY);
      await org.addSigner(`w${w}`);
      await org.publish();
    }
    const [result] = await sync(client, loopbackTransport(org.storage), { force: true });
    expect(result?.rejected).toBeUndefined();
    expect(result).toMatchObject({ ok: true, fromSeq: 1, toSeq: 4, packsApplied: 3 });
  });

  it('a log whose newest pack has expired is refused at that pack (ERR_PACK_EXPIRED): history before it is kept, and the peer reads as STALE', async () => {
    const { clock, org } = await weeklyLog(2);
    clock.advance(8 * DAY);
    const client = makeClient(clock);
    await client.pin(org);
    const [result] = await sync(client, loopbackTransport(org.storage));
    expect(result).toMatchObject({ ok: false, toSeq: 1, rejected: { code: 'ERR_PACK_EXPIRED', seq: 2 } });
    expect((await getSyncState(client.storage, NS, 'org-a'))?.seq).toBe(1);
    expect(await resolvePeerKey(client.storage, NS, 'org-a', 'k1', { now: clock() })).toMatchObject({ usable: false, reason: 'STALE' });
    expect(rejectEvents(client.events, 'ERR_PACK_EXPIRED')).toHaveLength(1);
  });

  it('a single expired pack is refused whole (ERR_PACK_EXPIRED) and nothing is stored', async () => {
    const { clock, org } = await weeklyLog(1);
    clock.advance(8 * DAY);
    const client = makeClient(clock);
    await client.pin(org);
    await expectSyncRejected(client, 'ERR_PACK_EXPIRED', () => sync(client, loopbackTransport(org.storage)), 'org-a');
  });
});

describe('runAnchorSync: pagination', () => {
  it('pageSize 1 with 5 packs takes 5 pulls, each continuing from the previous token, and applies all', async () => {
    const { client, org } = await scenario(5);
    const rec = recording(loopbackTransport(org.storage, { pageSize: 1 }));
    const [result] = await sync(client, rec.transport);
    expect(result).toMatchObject({ ok: true, fromSeq: 0, toSeq: 5, pages: 5, packsApplied: 5, added: 6 });
    expect(rec.pages.map((p) => p.packs.length)).toEqual([1, 1, 1, 1, 1]);
    expect(rec.requests[0]!.token).toBeUndefined();
    for (let i = 1; i < 5; i++) {
      expect(rec.requests[i]!.token).toBe(rec.pages[i - 1]!.next);
      expect(decodeToken(rec.requests[i]!.token!)).toBe(i);
    }
    expect(rec.pages[4]!.next).toBeUndefined();
    expect(client.events.filter((e) => e.type === 'FED_ANCHOR_SYNC_PULL')).toHaveLength(5);
    expect(client.events.filter((e) => e.type === 'FED_ANCHOR_SYNC_APPLY')).toHaveLength(5);
    expect((await getSyncState(client.storage, NS, 'org-a'))?.token).toBeUndefined();
  });

  it('a pull that fails on page 3 keeps pages 1-2 and their token; the next run resumes from it and completes', async () => {
    const { client, org } = await scenario(5);
    const failing = recording(loopbackTransport(org.storage, { pageSize: 1 }), (_req, call) => {
      if (call === 3) throw new Error('network down');
    });
    const [broken] = await sync(client, failing.transport);
    expect(broken).toMatchObject({ ok: false, fromSeq: 0, toSeq: 2, pages: 2, packsApplied: 2, rejected: { code: 'ERR_TRANSPORT' } });
    expect(client.events.filter((e) => e.type === 'FED_ANCHOR_SYNC_REJECT')).toEqual([
      expect.objectContaining({ code: 'ERR_TRANSPORT', orgId: 'org-a' }),
    ]);
    const saved = await getSyncState(client.storage, NS, 'org-a');
    expect(saved?.seq).toBe(2);
    expect(saved?.token).toBeDefined();
    expect(decodeToken(saved!.token!)).toBe(2);

    const plan = await planAnchorSync(client.storage, [peer('org-a')], { clock: client.clock });
    expect(plan.peers[0]).toMatchObject({ since: 2, token: saved!.token });

    const resume = recording(loopbackTransport(org.storage, { pageSize: 1 }));
    const [done] = await sync(client, resume.transport);
    expect(resume.requests[0]).toMatchObject({ since: 2, token: saved!.token });
    expect(done).toMatchObject({ ok: true, fromSeq: 2, toSeq: 5, pages: 3, packsApplied: 3 });
    expect(await getAnchors(client.storage, NS, 'org-a')).toEqual(await getAnchors(org.storage, NS, 'org-a'));
    const finalState = await getSyncState(client.storage, NS, 'org-a');
    expect(finalState).toMatchObject({ seq: 5, hash: (await getSyncState(org.storage, NS, 'org-a'))!.hash });
    expect(finalState?.token).toBeUndefined();
  });

  it('a page that promises more but does not advance is ERR_TRANSPORT, not an endless loop', async () => {
    const { client } = await scenario(1);
    let calls = 0;
    const stuck: Transport = {
      async pull() {
        calls++;
        return { packs: [], next: 'p1.MA' };
      },
      push: () => Promise.reject(new Error('no')),
    };
    await expectSyncRejected(client, 'ERR_TRANSPORT', () => sync(client, stuck), 'org-a');
    expect(calls).toBe(1);
  });

  it.each([
    ['null', null],
    ['a page without packs', { next: 'x' }],
    ['a not-modified page that carries packs', { packs: [{}], notModified: true }],
    ['a negative refresh hint', { packs: [], refreshAfterSec: -1 }],
  ])('a transport answering %s is ERR_TRANSPORT and nothing is stored', async (_name, answer) => {
    const { client } = await scenario(1);
    const bad: Transport = { pull: async () => answer as never, push: () => Promise.reject(new Error('no')) };
    await expectSyncRejected(client, 'ERR_TRANSPORT', () => sync(client, bad), 'org-a');
  });
});

describe('runAnchorSync: rejections', () => {
  it('a pack signed by an unpinned key is reported as ok:false with its code and seq, and storage is unchanged', async () => {
    const { client } = await scenario(1);
    const rogue = generateKeyPair();
    const forged = signAnchorPack(packBody('org-a', 1, [anchorOf('org-a', 'k1', bytesToB64u(rogue.publicKey))], { issuedAt: client.clock() }), [
      { kid: 'k1', secretKey: rogue.secretKey },
    ]);
    const evil: Transport = { pull: async () => ({ packs: [forged] }), push: () => Promise.reject(new Error('no')) };
    const result = await expectSyncRejected(client, 'ERR_PACK_SIGNATURE', () => sync(client, evil), 'org-a');
    expect(result.rejected?.seq).toBe(1);
    expect(result.packsApplied).toBe(0);
  });

  it('a pack of another org served for this peer is ERR_PACK_SCHEMA and stores nothing for either org', async () => {
    const clock = testClock();
    const orgB = await makeOrg('org-b', { clock });
    const client = makeClient(clock);
    await client.pin(orgB);
    const { pack } = await orgB.publish();
    const confused: Transport = { pull: async () => ({ packs: [pack] }), push: () => Promise.reject(new Error('no')) };
    await expectSyncRejected(client, 'ERR_PACK_SCHEMA', () => sync(client, confused, { peers: [peer('org-a')] }), 'org-a');
    expect(await getSyncState(client.storage, NS, 'org-b')).toBeUndefined();
  });

  it('a bad pack mid-page keeps the packs before it and stops at it', async () => {
    const { client, org } = await scenario(2);
    const good = await org.storage.get(storageKeys.pack(NS, 'org-a', 1));
    const p2 = (await org.storage.get(storageKeys.pack(NS, 'org-a', 2))) as { anchors: unknown[] };
    const tampered = { ...p2, anchors: [] };
    const mixed: Transport = { pull: async () => ({ packs: [good, tampered] }), push: () => Promise.reject(new Error('no')) };
    const [result] = await sync(client, mixed);
    expect(result).toMatchObject({ ok: false, toSeq: 1, packsApplied: 1, rejected: { code: 'ERR_PACK_SIGNATURE', seq: 2 } });
    expect((await getSyncState(client.storage, NS, 'org-a'))?.seq).toBe(1);
    expect(client.events.filter((e) => e.type === 'FED_ANCHOR_SYNC_REJECT')).toEqual([
      expect.objectContaining({ code: 'ERR_PACK_SIGNATURE', orgId: 'org-a', seq: 2 }),
    ]);
  });

  it('a source serving a different pack at the accepted seq is ERR_PACK_EQUIVOCATION: evidence kept, nothing else changed', async () => {
    const { client, org } = await scenario(2);
    await sync(client, loopbackTransport(org.storage));
    const accepted = (await org.storage.get(storageKeys.pack(NS, 'org-a', 2))) as unknown as AnchorPack;
    const fork = signAnchorPack({ ...accepted, sig: [], anchors: [] }, [org.signer('k1')]);
    const forking: Transport = { pull: async () => ({ packs: [fork] }), push: () => Promise.reject(new Error('no')) };
    const before = await snapshot(client.storage);
    const [result] = await sync(client, forking, { force: true });
    expect(result).toMatchObject({ ok: false, rejected: { code: 'ERR_PACK_EQUIVOCATION', seq: 2 } });
    const after = await snapshot(client.storage);
    const changed = Object.keys(after).filter((k) => after[k] !== before[k]);
    expect(changed).toEqual([`fed:evidence:${NS}:org-a:2:${packHash(fork)}`]);
    expect(await listEquivocationEvidence(client.storage, NS, 'org-a')).toHaveLength(1);
    expect(client.events.filter((e) => e.type === 'FED_ANCHOR_SYNC_REJECT')).toEqual([
      expect.objectContaining({ code: 'ERR_PACK_EQUIVOCATION', seq: 2 }),
    ]);
  });

  it('a policy that denies apply for the peer rejects inside the sync with ERR_POLICY_DENIED, storage unchanged', async () => {
    const { client, org } = await scenario(2);
    const policy = { ops: { apply: { allow: ['org-z'] } } };
    const result = await expectSyncRejected(client, 'ERR_POLICY_DENIED', () => sync(client, loopbackTransport(org.storage), { policy }), 'org-a');
    expect(result.packsApplied).toBe(0);
  });

  it('a policy that denies pull at run time rejects with ERR_POLICY_DENIED before any request', async () => {
    const { client, org } = await scenario(1);
    const plan = await planAnchorSync(client.storage, [peer('org-a')], { clock: client.clock });
    const rec = recording(loopbackTransport(org.storage));
    const policy = { ops: { pull: { allow: ['org-z'] } } };
    await expectSyncRejected(client, 'ERR_POLICY_DENIED', () => sync(client, rec.transport, { plan, policy }), 'org-a');
    expect(rec.requests).toEqual([]);
  });

  it('a pull daily cap stops pulls once used up', async () => {
    const { client, org } = await scenario(1);
    const rec = recording(loopbackTransport(org.storage));
    const policy = { ops: { pull: { dailyCap: 1 } } };
    expect((await sync(client, rec.transport, { policy }))[0]?.ok).toBe(true);
    const plan = await planAnchorSync(client.storage, [peer('org-a')], { clock: client.clock, force: true });
    await expectSyncRejected(client, 'ERR_POLICY_CAP', () => sync(client, rec.transport, { plan, policy }), 'org-a');
    expect(rec.requests).toHaveLength(1);
  });

  it('a rejection inside a sync is audited exactly once', async () => {
    const { client, org } = await scenario(1);
    await sync(client, loopbackTransport(org.storage), { policy: { ops: { apply: { allow: ['org-z'] } } } });
    const tampered: Transport = {
      pull: async () => ({ packs: [{ ...((await org.storage.get(storageKeys.pack(NS, 'org-a', 1))) as object), sig: [] }] }),
      push: () => Promise.reject(new Error('no')),
    };
    await sync(client, tampered, { force: true });
    const rejects = client.events.filter((e) => e.type === 'FED_ANCHOR_SYNC_REJECT').map((e) => (e as { code: string }).code);
    expect(rejects).toEqual(['ERR_POLICY_DENIED', 'ERR_PACK_SIGNATURE']);
  });
});

describe('publish and push through a relay', () => {
  async function relayWorld() {
    const clock = testClock();
    const org = await makeOrg('org-a', { kids: ['k1', 'k2'], clock });
    const relay = makeClient(clock);
    await relay.pin(org);
    const toRelay = loopbackTransport(relay.storage, { receiver: relay.ctx(), pageSize: 1 });
    return { clock, org, relay, toRelay };
  }

  it('a relay that pinned the publisher accepts pushed packs, and a client syncing from the relay gets the publisher\'s anchors', async () => {
    const { clock, org, relay, toRelay } = await relayWorld();
    const p1 = await org.publish();
    expect(await pushAnchorPack(toRelay, p1.pack)).toEqual({ stored: true, seq: 1 });
    expect(await pushAnchorPack(toRelay, p1.pack)).toEqual({ stored: false, seq: 1 });
    await org.revoke('k2');
    const p2 = await org.publish();
    expect(await pushAnchorPack(toRelay, p2.pack)).toEqual({ stored: true, seq: 2 });
    expect(await getSyncState(relay.storage, NS, 'org-a')).toMatchObject({ seq: 2, hash: p2.hash });
    expect(await relay.storage.get(storageKeys.pack(NS, 'org-a', 2))).toEqual(p2.pack);

    const client = makeClient(clock);
    await client.pin(org);
    const [result] = await sync(client, loopbackTransport(relay.storage, { pageSize: 1 }));
    expect(result).toMatchObject({ ok: true, toSeq: 2, pages: 2, packsApplied: 2, revoked: 1 });
    expect(await getAnchors(client.storage, NS, 'org-a')).toEqual(await getAnchors(org.storage, NS, 'org-a'));
    expect((await getSyncState(client.storage, NS, 'org-a'))?.hash).toBe(p2.hash);
  });

  it('a relay refuses a pushed pack it cannot verify, audits it and stores nothing', async () => {
    const { org, relay, toRelay } = await relayWorld();
    const { pack } = await org.publish({ signWith: ['k2'] });
    await expectRejected(relay, 'ERR_PACK_SIGNATURE', () => pushAnchorPack(toRelay, pack));
  });

  it('a relay refuses a pushed delta that does not continue what it holds', async () => {
    const { org, relay, toRelay } = await relayWorld();
    await pushAnchorPack(toRelay, (await org.publish()).pack);
    await org.publish();
    const p3 = await org.publish();
    await expectRejected(relay, 'ERR_PACK_CHAIN', () => pushAnchorPack(toRelay, p3.pack));
  });

  it('a loopback transport without a receiver refuses pushes', async () => {
    const { org } = await relayWorld();
    const { pack } = await org.publish();
    await expect(pushAnchorPack(loopbackTransport(memoryStorage()), pack)).rejects.toThrow();
  });
});

describe('persistence through a StorageDriver', () => {
  it('a new driver object over the same backend sees the synced anchors and state, and continues the sync from them', async () => {
    const clock = testClock();
    const org = await makeOrg('org-a', { kids: ['k1', 'k2'], clock });
    await org.publish();
    const backend = new Map<string, string>();
    const first = makeClient(clock, mapStorage(backend));
    await first.pin(org);
    await sync(first, loopbackTransport(org.storage));

    const second = makeClient(clock, mapStorage(backend));
    expect(second.storage).not.toBe(first.storage);
    expect(await getAnchors(second.storage, NS, 'org-a')).toEqual(await getAnchors(org.storage, NS, 'org-a'));
    expect((await getSyncState(second.storage, NS, 'org-a'))?.seq).toBe(1);

    const [upToDate] = await sync(second, loopbackTransport(org.storage), { force: true });
    expect(upToDate).toMatchObject({ ok: true, fromSeq: 1, toSeq: 1, packsApplied: 0 });
    await org.revoke('k2');
    await org.publish();
    const [next] = await sync(second, loopbackTransport(org.storage), { force: true });
    expect(next).toMatchObject({ ok: true, fromSeq: 1, toSeq: 2, packsApplied: 1, revoked: 1 });
    // What the backend holds is the anchors record at the seq it reflects.
    const held = (await getAnchors(org.storage, NS, 'org-a')).map((a) => [a.kid, a.pubB64u, a.status, a.createdAt, a.updatedAt]);
    expect(JSON.parse(backend.get(storageKeys.anchors(NS, 'org-a'))!)).toMatchObject({ v: 2, seq: 2, anchors: held });
  });
});

describe('crash safety', () => {
  /** A driver that throws on the first set matching `fail`, once. */
  function failOnce(inner: StorageDriver, fail: (key: string, value: unknown) => boolean): StorageDriver {
    let armed = true;
    return {
      get: (k) => inner.get(k),
      delete: (k) => inner.delete(k),
      list: (p) => inner.list(p),
      async set(key, value) {
        if (armed && fail(key, value)) {
          armed = false;
          throw new Error('disk full');
        }
        return inner.set(key, value);
      },
    };
  }

  it('a failure between the anchors write and the state write is completed by the next sync', async () => {
    const clock = testClock();
    const org = await makeOrg('org-a', { kids: ['k1', 'k2'], clock });
    await org.publish();
    await org.revoke('k2');
    await org.publish();
    await org.addSigner('k3');
    await org.publish();
    const inner = memoryStorage();
    const client = makeClient(clock, failOnce(inner, (key, value) => key === storageKeys.syncState(NS, 'org-a') && (value as { seq: number }).seq === 2));
    await client.pin(org);
    const [crashed] = await sync(client, loopbackTransport(org.storage, { pageSize: 1 }));
    expect(crashed).toMatchObject({ ok: false, rejected: { code: 'ERR_STORAGE' } });
    expect(client.events.some((e) => e.type === 'FED_ANCHOR_SYNC_REJECT' && e.code === 'ERR_STORAGE')).toBe(true);
    expect((await getSyncState(client.storage, NS, 'org-a'))?.seq).toBe(1);

    const [resumed] = await sync(client, loopbackTransport(org.storage, { pageSize: 1 }), { force: true });
    expect(resumed).toMatchObject({ ok: true, toSeq: 3 });
    expect(await getAnchors(client.storage, NS, 'org-a')).toEqual(await getAnchors(org.storage, NS, 'org-a'));
    expect((await getSyncState(client.storage, NS, 'org-a'))?.hash).toBe((await getSyncState(org.storage, NS, 'org-a'))?.hash);
  });
});

describe('runAnchorSync: several peers', () => {
  async function orgs(ids: string[], clock: TestClock) {
    const map = new Map<string, Org>();
    for (const id of ids) {
      const org = await makeOrg(id, { clock });
      await org.publish();
      map.set(id, org);
    }
    return map;
  }

  it('one peer whose transport throws and one that serves a bad pack fail alone; the others succeed', async () => {
    const clock = testClock();
    const peers = await orgs(['org-a', 'org-b', 'org-c', 'org-d'], clock);
    const client = makeClient(clock);
    for (const org of peers.values()) await client.pin(org);
    const rogue = generateKeyPair();
    const transport = (p: PeerRef): Transport => {
      if (p.orgId === 'org-b') return { pull: () => Promise.reject(new Error('connection reset')), push: () => Promise.reject(new Error('no')) };
      if (p.orgId === 'org-c') {
        const pack = signAnchorPack(packBody('org-c', 1, [anchorOf('org-c', 'k1', bytesToB64u(rogue.publicKey))]), [{ kid: 'k1', secretKey: rogue.secretKey }]);
        return { pull: async () => ({ packs: [pack] }), push: () => Promise.reject(new Error('no')) };
      }
      return loopbackTransport(peers.get(p.orgId)!.storage);
    };
    const results = await runAnchorSync({
      storage: client.storage,
      clock,
      audit: client.audit,
      transport,
      peers: [...peers.keys()].map(peer),
    });
    expect(results.map((r) => [r.orgId, r.ok, r.rejected?.code])).toEqual([
      ['org-a', true, undefined],
      ['org-b', false, 'ERR_TRANSPORT'],
      ['org-c', false, 'ERR_PACK_SIGNATURE'],
      ['org-d', true, undefined],
    ]);
    expect(results[2]!.rejected?.seq).toBe(1);
    for (const id of ['org-a', 'org-d']) expect((await getSyncState(client.storage, NS, id))?.seq).toBe(1);
    for (const id of ['org-b', 'org-c']) {
      expect(await getSyncState(client.storage, NS, id)).toBeUndefined();
      expect(await getAnchors(client.storage, NS, id)).toEqual([]);
    }
    const rejected = client.events.filter((e) => e.type === 'FED_ANCHOR_SYNC_REJECT').map((e) => `${e.orgId}:${(e as { code: string }).code}`);
    expect(rejected.sort()).toEqual(['org-b:ERR_TRANSPORT', 'org-c:ERR_PACK_SIGNATURE']);
  });

  it('a corrupt stored state of one peer fails that peer only', async () => {
    const clock = testClock();
    const peers = await orgs(['org-a', 'org-b'], clock);
    const client = makeClient(clock);
    for (const org of peers.values()) await client.pin(org);
    await client.storage.set(storageKeys.syncState(NS, 'org-b'), 'garbage');
    const results = await runAnchorSync({
      storage: client.storage,
      clock,
      transport: (p) => loopbackTransport(peers.get(p.orgId)!.storage),
      peers: [peer('org-a'), peer('org-b')],
    });
    expect(results.map((r) => [r.orgId, r.ok, r.rejected?.code])).toEqual([
      ['org-a', true, undefined],
      ['org-b', false, 'ERR_STORAGE_CORRUPT'],
    ]);
  });

  it.each([
    [2, 2],
    [undefined, 4],
    [1, 1],
  ])('with concurrency %s, at most %s pulls are in flight at once (and that many are reached)', async (concurrency, bound) => {
    const clock = testClock();
    const ids = ['o1', 'o2', 'o3', 'o4', 'o5', 'o6'];
    const peers = await orgs(ids, clock);
    const client = makeClient(clock);
    for (const org of peers.values()) await client.pin(org);
    let inFlight = 0;
    let maxInFlight = 0;
    const transport = (p: PeerRef): Transport => {
      const inner = loopbackTransport(peers.get(p.orgId)!.storage);
      return {
        async pull(request) {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          try {
            await sleep(15);
            return await inner.pull(request);
          } finally {
            inFlight--;
          }
        },
        push: (pack) => inner.push(pack),
      };
    };
    const results = await runAnchorSync({
      storage: client.storage,
      clock,
      transport,
      peers: ids.map(peer),
      ...(concurrency === undefined ? {} : { concurrency }),
    });
    expect(results.every((r) => r.ok)).toBe(true);
    expect(results.map((r) => r.orgId)).toEqual(ids);
    expect(maxInFlight).toBe(bound);
  });
});

describe('concurrent syncs of one peer', () => {
  it('two runs of the same peer on the same storage, through sources at different heads, end at the newest state with nothing lost', async () => {
    const clock = testClock();
    const org = await makeOrg('org-a', { kids: ['k1', 'k2'], clock });
    const relay = makeClient(clock);
    await relay.pin(org);
    const toRelay = loopbackTransport(relay.storage, { receiver: relay.ctx() });
    for (let i = 1; i <= 5; i++) {
      if (i > 1) await org.addSigner(`n${i}`);
      if (i === 4) await org.revoke('k2');
      const { pack } = await org.publish();
      if (i <= 3) await pushAnchorPack(toRelay, pack);
    }
    const client = makeClient(clock, slowStorage(memoryStorage()));
    await client.pin(org);
    const [[fromRelay], [fromOrigin]] = await Promise.all([
      sync(client, loopbackTransport(relay.storage, { pageSize: 1 })),
      sync(client, loopbackTransport(org.storage, { pageSize: 1 })),
    ]);
    expect(fromRelay?.ok).toBe(true);
    expect(fromOrigin?.ok).toBe(true);
    expect(fromRelay!.packsApplied + fromOrigin!.packsApplied).toBe(5);
    expect(await getAnchors(client.storage, NS, 'org-a')).toEqual(await getAnchors(org.storage, NS, 'org-a'));
    expect(await getSyncState(client.storage, NS, 'org-a')).toMatchObject({ seq: 5, hash: (await getSyncState(org.storage, NS, 'org-a'))!.hash });
    expect(client.events.filter((e) => e.type === 'FED_ANCHOR_SYNC_REJECT')).toEqual([]);
  });

  it('two runs through the same source apply every pack exactly once between them', async () => {
    const { client: plain, org } = await scenario(4);
    const client = makeClient(plain.clock, slowStorage(memoryStorage()));
    await client.pin(org);
    const results = await Promise.all([sync(client, loopbackTransport(org.storage, { pageSize: 1 })), sync(client, loopbackTransport(org.storage, { pageSize: 1 }))]);
    const flat = results.flat();
    expect(flat.every((r) => r.ok)).toBe(true);
    expect(flat.reduce((n, r) => n + r.packsApplied, 0)).toBe(4);
    expect(flat.reduce((n, r) => n + r.added, 0)).toBe(5);
    expect(await getAnchors(client.storage, NS, 'org-a')).toEqual(await getAnchors(org.storage, NS, 'org-a'));
  });
});

describe('audit', () => {
  it('publish, push, sync and rejection emit the four event types, each with type, time, ns and org, and none carries secret key bytes', async () => {
    const clock = testClock();
    const org = await makeOrg('org-a', { kids: ['k1', 'k2'], clock });
    const relay = makeClient(clock);
    await relay.pin(org);
    const toRelay = loopbackTransport(relay.storage, { receiver: relay.ctx() });
    await pushAnchorPack(toRelay, (await org.publish()).pack);
    clock.advance(DAY);
    await org.retire('k2');
    await pushAnchorPack(toRelay, (await org.publish()).pack);

    const client = makeClient(clock);
    await client.pin(org);
    await sync(client, loopbackTransport(relay.storage, { pageSize: 1 }));
    const forged = signAnchorPack({ ...(await org.publish()).pack, sig: [] }, [org.signer('k2')]);
    await expect(pushAnchorPack(toRelay, forged)).rejects.toMatchObject({ code: 'ERR_PACK_SIGNATURE' });
    await sync(client, { pull: async () => ({ packs: [forged] }), push: () => Promise.reject(new Error('no')) }, { force: true });

    const all: AuditEvent[] = [...org.events, ...relay.events, ...client.events];
    expect(new Set(all.map((e) => e.type))).toEqual(
      new Set(['FED_ANCHOR_PUBLISH', 'FED_ANCHOR_SYNC_PULL', 'FED_ANCHOR_SYNC_APPLY', 'FED_ANCHOR_SYNC_REJECT']),
    );
    for (const e of all) {
      expect(e).toMatchObject({ ns: NS, orgId: 'org-a' });
      expect(Number.isFinite(Date.parse(e.at))).toBe(true);
    }
    const text = JSON.stringify(all);
    for (const kid of ['k1', 'k2']) {
      const secret = org.keys.get(kid)!.secretKey;
      expect(text).not.toContain(bytesToB64u(secret));
      expect(text).not.toContain(Buffer.from(secret).toString('base64'));
      expect(text).not.toContain(Buffer.from(secret).toString('hex'));
      expect(text).not.toContain(bytesToB64u(secret.slice(0, 16)));
    }
  });
});
