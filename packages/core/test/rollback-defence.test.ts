/**
 * Storage rollback: a restored backup, or an attacker, puts back an older
 * full copy of the client's store (anchors, sync state, everything). With a
 * separate high-water store the engine refuses that copy and recovers only
 * to a state at or beyond the mark; without one, the client syncs forward
 * from the restored seq and re-learns what it lost on its next sync.
 *
 * The story of every test: org A publishes 1 (base k1, k2), 2 (adds k3);
 * the client syncs to 2 and its store is copied; A publishes 3 (revokes k2)
 * and 4 (adds k4); the client syncs to 4; the copy from seq 2 is put back.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '@anchorsync/storage-memory';
import {
  applyAnchorPack,
  bytesToB64u,
  ed25519Sign,
  exportPeerJwks,
  getAnchors,
  getSyncState,
  highWaterGuard,
  highWaterKey,
  isAnchorSyncError,
  listEquivocationEvidence,
  loadPack,
  loopbackTransport,
  packHash,
  publishAnchorPack,
  readHighWater,
  recoverFromRollback,
  resolvePeerKey,
  runAnchorSync,
  verifyPeerMessage,
  type PullRequest,
  type StorageDriver,
  type SyncOptions,
  type Transport,
} from '@anchorsync/core';
import { faultyStorage } from '../../../test/storage/fault-injection.ts';
import { DAY, expectRejected, expectSyncRejected, HOUR, makeClient, makeOrg, MIN, NS, snapshot, type Client, type Org } from './helpers.ts';

const PEER = { ns: NS, orgId: 'org-a' };

/** Puts a snapshot back: every key it does not hold is deleted, every key it holds gets its old value. */
async function restore(storage: StorageDriver, snap: Record<string, string>): Promise<void> {
  for (const key of await storage.list('')) if (!(key in snap)) await storage.delete(key);
  for (const [key, text] of Object.entries(snap)) await storage.set(key, JSON.parse(text));
}

/** A copy of a whole store, as a new memory store. */
async function copyOf(storage: StorageDriver): Promise<StorageDriver> {
  const copy = memoryStorage();
  await restore(copy, await snapshot(storage));
  return copy;
}

function counting(inner: Transport) {
  const requests: PullRequest[] = [];
  const transport: Transport = {
    pull: (r) => {
      requests.push({ ...r });
      return inner.pull(r);
    },
    push: (p, o) => inner.push(p, o),
  };
  return { transport, requests };
}

interface Story {
  org: Org;
  client: Client;
  highWater: StorageDriver | undefined;
  /** The client's whole store at seq 2. */
  atSeq2: Record<string, string>;
  /** Org A's store when its head was 3. */
  orgAtSeq3: StorageDriver;
  sync(extra?: Partial<SyncOptions>): ReturnType<typeof runAnchorSync>;
}

async function story(withHighWater: boolean): Promise<Story> {
  const org = await makeOrg('org-a', { kids: ['k1', 'k2'] });
  const client = makeClient(org.clock);
  const highWater = withHighWater ? memoryStorage() : undefined;
  await client.pin(org);
  const sync = (extra: Partial<SyncOptions> = {}) =>
    runAnchorSync({
      storage: client.storage,
      clock: client.clock,
      audit: client.audit,
      transport: loopbackTransport(org.storage),
      peers: [PEER],
      force: true,
      ...(highWater ? { highWater } : {}),
      ...extra,
    });
  await org.publish();
  org.clock.advance(MIN);
  await org.addSigner('k3');
  await org.publish();
  expect((await sync())[0]).toMatchObject({ ok: true, toSeq: 2 });
  const atSeq2 = await snapshot(client.storage);
  org.clock.advance(MIN);
  await org.revoke('k2');
  await org.publish();
  const orgAtSeq3 = await copyOf(org.storage);
  org.clock.advance(MIN);
  await org.addSigner('k4');
  await org.publish();
  expect((await sync())[0]).toMatchObject({ ok: true, fromSeq: 2, toSeq: 4, revoked: 1 });
  expect(await resolvePeerKey(client.storage, NS, 'org-a', 'k2', { now: org.clock() })).toMatchObject({ usable: false, reason: 'REVOKED' });
  await restore(client.storage, atSeq2);
  expect((await getSyncState(client.storage, NS, 'org-a'))?.seq).toBe(2);
  return { org, client, highWater, atSeq2, orgAtSeq3, sync };
}

async function packAt(org: Org, seq: number) {
  return (await loadPack(org.storage, NS, 'org-a', seq))!;
}

function signedByK2(org: Org) {
  const message = 'hello from org-a';
  return { ns: NS, orgId: 'org-a', kid: 'k2', message, signature: bytesToB64u(ed25519Sign(new TextEncoder().encode(message), org.signer('k2').secretKey)) };
}

describe('rollback defence with a high-water store', () => {
  it('every accepted pack raises the mark to its seq and hash, kept in the high-water store only', async () => {
    const { org, highWater, client } = await story(true);
    expect(await readHighWater(highWater!, NS, 'org-a')).toMatchObject({ seq: 4, hash: packHash(await packAt(org, 4)) });
    expect(await client.storage.get(highWaterKey(NS, 'org-a'))).toBeUndefined();
  });

  it('the next sync refuses the restored copy with ERR_STORAGE_ROLLBACK before any request, audits it, and changes nothing', async () => {
    const s = await story(true);
    const source = counting(loopbackTransport(s.org.storage));
    const result = await expectSyncRejected(s.client, 'ERR_STORAGE_ROLLBACK', () => s.sync({ transport: source.transport }), 'org-a');
    expect(result.rejected?.message).toMatch(/#2.*#4/);
    expect(source.requests).toHaveLength(0);
  });

  it('a replayed pack 3 (or 4, or 5) applied directly is never accepted as new state below the mark: ERR_STORAGE_ROLLBACK, storage unchanged', async () => {
    const s = await story(true);
    s.org.clock.advance(MIN);
    await s.org.publish();
    for (const seq of [3, 4, 5]) {
      const pack = await packAt(s.org, seq);
      await expectRejected(s.client, 'ERR_STORAGE_ROLLBACK', () => applyAnchorPack(s.client.ctx({ highWater: s.highWater! }), pack));
    }
    expect((await getSyncState(s.client.storage, NS, 'org-a'))?.seq).toBe(2);
  });

  it('readers through highWaterGuard never see the restored, un-revoked k2: resolvePeerKey, verifyPeerMessage and exportPeerJwks refuse with ERR_STORAGE_ROLLBACK', async () => {
    const s = await story(true);
    // The raw store does hold the old answer: this is what the guard is for.
    expect(await resolvePeerKey(s.client.storage, NS, 'org-a', 'k2', { now: s.org.clock() })).toMatchObject({ usable: true });
    const guarded = highWaterGuard(s.client.storage, s.highWater!);
    for (const read of [
      () => resolvePeerKey(guarded, NS, 'org-a', 'k2', { now: s.org.clock() }),
      () => verifyPeerMessage(guarded, signedByK2(s.org), { now: s.org.clock() }),
      () => exportPeerJwks(guarded, NS, 'org-a'),
    ]) {
      const error = await read().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isAnchorSyncError(error, 'ERR_STORAGE_ROLLBACK'), String(error)).toBe(true);
    }
  });

  it('recoverFromRollback resyncs from the pins alone, ends at the head (>= the mark) with k2 REVOKED, and no read through the guard ever says k2 is usable', async () => {
    const s = await story(true);
    s.org.clock.advance(MIN);
    await s.org.addSigner('k5');
    await s.org.publish();
    const inner = s.client.storage;
    const guarded = highWaterGuard(inner, s.highWater!);
    const k2Reads: string[] = [];
    const storage = faultyStorage(inner, {
      afterWrite: async () => {
        const r = await resolvePeerKey(guarded, NS, 'org-a', 'k2', { now: s.org.clock() }).catch((e: { code: string }) => e.code);
        k2Reads.push(typeof r === 'string' ? r : r.usable ? 'USABLE' : r.reason);
      },
    });
    const result = await recoverFromRollback({ storage, highWater: s.highWater!, transport: loopbackTransport(s.org.storage), clock: s.client.clock, audit: s.client.audit }, PEER);
    expect(result).toMatchObject({ recovered: true, fromSeq: 2, toSeq: 5, mark: 4, packsVerified: 5 });
    expect(k2Reads.length).toBeGreaterThan(0);
    expect(k2Reads).not.toContain('USABLE');
    expect(k2Reads.at(-1)).toBe('REVOKED');
    expect(await getAnchors(inner, NS, 'org-a')).toEqual(await getAnchors(s.org.storage, NS, 'org-a'));
    expect(await getSyncState(inner, NS, 'org-a')).toMatchObject({ seq: 5, hash: packHash(await packAt(s.org, 5)) });
    expect(await readHighWater(s.highWater!, NS, 'org-a')).toMatchObject({ seq: 5 });
    expect(s.client.events.at(-1)).toMatchObject({ type: 'FED_ANCHOR_SYNC_APPLY', seq: 5, warnings: ['ROLLBACK_RECOVERED'] });
    // Afterwards the peer syncs as usual.
    s.org.clock.advance(MIN);
    await s.org.publish();
    expect((await s.sync())[0]).toMatchObject({ ok: true, fromSeq: 5, toSeq: 6 });
  });

  it('a recovery interrupted at any of its writes (lost or torn) is completed by running it again, and never leaves the store looking recovered below the mark', async () => {
    const base = await story(true);
    const marksAt4 = await snapshot(base.highWater!);
    let writes = 0;
    for (const mode of ['fail', 'torn'] as const) {
      for (let n = 1; ; n++) {
        const inner = memoryStorage();
        const marks = memoryStorage();
        await restore(inner, base.atSeq2);
        await restore(marks, marksAt4);
        const storage = faultyStorage(inner, { failAtWrite: n, mode });
        const options = { storage, highWater: marks, transport: loopbackTransport(base.org.storage), clock: base.client.clock };
        const first = await recoverFromRollback(options, PEER).then(
          () => 'done',
          (e: unknown) => e,
        );
        if (storage.counter.failedAt === undefined) {
          expect(first).toBe('done');
          writes = n - 1;
          break;
        }
        expect((first as { code?: string }).code, `${mode} #${n}`).toBe('ERR_STORAGE');
        const state = await getSyncState(inner, NS, 'org-a');
        // Either still the restored copy (refused as a rollback) or fully recovered.
        expect([2, 4], `${mode} #${n}`).toContain(state?.seq);
        await recoverFromRollback({ ...options, storage: inner }, PEER);
        expect(await getSyncState(inner, NS, 'org-a'), `${mode} #${n}`).toMatchObject({ seq: 4 });
        expect(await getAnchors(inner, NS, 'org-a'), `${mode} #${n}`).toEqual(await getAnchors(base.org.storage, NS, 'org-a'));
      }
    }
    expect(writes).toBeGreaterThanOrEqual(2);
  });

  it('a source that is behind the mark (here at seq 3) cannot take the client back: recovery refuses with ERR_STORAGE_ROLLBACK and changes nothing', async () => {
    const s = await story(true);
    const error = await expectRejectedRecovery(s, 'ERR_STORAGE_ROLLBACK', loopbackTransport(s.orgAtSeq3));
    expect(error.message).toMatch(/#3.*#4/);
  });

  it('a source serving another pack at the mark\'s seq is ERR_PACK_EQUIVOCATION: evidence is kept, nothing else changes', async () => {
    const s = await story(true);
    const fork = s.orgAtSeq3;
    await publishAnchorPack({ storage: fork, ns: NS, orgId: 'org-a', clock: () => s.org.clock() + HOUR, snapshot: false });
    await expectRejectedRecovery(s, 'ERR_PACK_EQUIVOCATION', loopbackTransport(fork), { evidence: true });
    const evidence = await listEquivocationEvidence(s.client.storage, NS, 'org-a');
    expect(evidence).toHaveLength(1);
    expect(evidence[0]).toMatchObject({ seq: 4, acceptedHash: packHash(await packAt(s.org, 4)), received: { seq: 4 } });
  });

  it('a store replaced by another history at the same seq (a forked copy at #4) is a rollback too (reason forked)', async () => {
    const s = await story(true);
    const fork = s.orgAtSeq3;
    await publishAnchorPack({ storage: fork, ns: NS, orgId: 'org-a', clock: () => s.org.clock() + HOUR });
    const other = makeClient(s.client.clock);
    await other.pin(s.org);
    await runAnchorSync({ storage: other.storage, clock: other.clock, transport: loopbackTransport(fork), peers: [PEER] });
    await restore(s.client.storage, await snapshot(other.storage));
    expect((await getSyncState(s.client.storage, NS, 'org-a'))?.seq).toBe(4);
    const [result] = await s.sync();
    expect(result).toMatchObject({ ok: false, rejected: { code: 'ERR_STORAGE_ROLLBACK' } });
    expect(result!.rejected!.message).toMatch(/forked/);
    await expect(recoverFromRollback({ storage: s.client.storage, highWater: s.highWater!, transport: loopbackTransport(s.org.storage), clock: s.client.clock }, PEER)).resolves.toMatchObject({ recovered: true, toSeq: 4 });
  });

  it('a store emptied of the peer (state deleted, mark kept) is a rollback (reason missing), and recovers', async () => {
    const s = await story(true);
    await restore(s.client.storage, Object.fromEntries(Object.entries(s.atSeq2).filter(([k]) => k.startsWith('fed:trust:'))));
    const [result] = await s.sync();
    expect(result).toMatchObject({ ok: false, rejected: { code: 'ERR_STORAGE_ROLLBACK' } });
    expect(result!.rejected!.message).toMatch(/missing/);
    await expect(recoverFromRollback({ storage: s.client.storage, highWater: s.highWater!, transport: loopbackTransport(s.org.storage), clock: s.client.clock }, PEER)).resolves.toMatchObject({ recovered: true, fromSeq: 0, toSeq: 4 });
  });

  it('recoverFromRollback also works when handed the guarded store, and the guard then answers REVOKED for k2', async () => {
    const s = await story(true);
    const guarded = highWaterGuard(s.client.storage, s.highWater!);
    await expect(recoverFromRollback({ storage: guarded, highWater: s.highWater!, transport: loopbackTransport(s.org.storage), clock: s.client.clock }, PEER)).resolves.toMatchObject({ recovered: true, toSeq: 4 });
    expect(await resolvePeerKey(guarded, NS, 'org-a', 'k2', { now: s.org.clock() })).toMatchObject({ usable: false, reason: 'REVOKED' });
  });

  it('recoverFromRollback on a store that is not behind its mark does nothing', async () => {
    const s = await story(true);
    await recoverFromRollback({ storage: s.client.storage, highWater: s.highWater!, transport: loopbackTransport(s.org.storage), clock: s.client.clock }, PEER);
    const before = await snapshot(s.client.storage);
    const source = counting(loopbackTransport(s.org.storage));
    await expect(recoverFromRollback({ storage: s.client.storage, highWater: s.highWater!, transport: source.transport, clock: s.client.clock }, PEER)).resolves.toMatchObject({ recovered: false, fromSeq: 4, toSeq: 4, mark: 4 });
    expect(source.requests).toHaveLength(0);
    expect(await snapshot(s.client.storage)).toEqual(before);
  });

  it('a mark that lags the state (a crash between the state and the mark write) is not a rollback; the next sync raises it', async () => {
    const s = await story(true);
    await recoverFromRollback({ storage: s.client.storage, highWater: s.highWater!, transport: loopbackTransport(s.org.storage), clock: s.client.clock }, PEER);
    const mark2 = { seq: 2, hash: (JSON.parse(s.atSeq2[`fed:anchors:__state__:${NS}:org-a`]!) as { hash: string }).hash, at: new Date(s.org.clock()).toISOString() };
    await s.highWater!.set(highWaterKey(NS, 'org-a'), mark2);
    expect((await s.sync())[0]).toMatchObject({ ok: true, toSeq: 4 });
    expect(await readHighWater(s.highWater!, NS, 'org-a')).toMatchObject({ seq: 4 });
  });

  it('a publisher whose store was rolled back refuses to publish (ERR_STORAGE_ROLLBACK) before signing: no second pack at a used seq', async () => {
    const org = await makeOrg('org-a', { kids: ['k1', 'k2'] });
    const highWater = memoryStorage();
    await org.publish({ highWater });
    const before = await snapshot(org.storage);
    org.clock.advance(MIN);
    await org.revoke('k2');
    await org.publish({ highWater });
    await restore(org.storage, before);
    await org.revoke('k2');
    const error = await org.publish({ highWater }).catch((e: unknown) => e);
    expect(isAnchorSyncError(error, 'ERR_STORAGE_ROLLBACK'), String(error)).toBe(true);
    expect(await loadPack(org.storage, NS, 'org-a', 2)).toBeUndefined();
  });

  it('a malformed mark fails closed with ERR_STORAGE_CORRUPT; a high-water store that is the main store is ERR_INVALID_ARGUMENT', async () => {
    const s = await story(true);
    await s.highWater!.set(highWaterKey(NS, 'org-a'), { seq: 'four' });
    expect((await s.sync())[0]).toMatchObject({ ok: false, rejected: { code: 'ERR_STORAGE_CORRUPT' } });
    const [same] = await s.sync({ highWater: s.client.storage });
    expect(same).toMatchObject({ ok: false, rejected: { code: 'ERR_INVALID_ARGUMENT' } });
  });
});

async function expectRejectedRecovery(s: Story, code: string, transport: Transport, options: { evidence?: boolean } = {}): Promise<Error> {
  const error = await expectRejected(
    s.client,
    code,
    () => recoverFromRollback({ storage: s.client.storage, highWater: s.highWater!, transport, clock: s.client.clock, audit: s.client.audit }, PEER),
    options,
  );
  expect((await getSyncState(s.client.storage, NS, 'org-a'))?.seq).toBe(2);
  expect(await readHighWater(s.highWater!, NS, 'org-a')).toMatchObject({ seq: 4 });
  return error as Error;
}

describe('rollback without a high-water store (what is and is not defended)', () => {
  it('NOT defended: until the next sync, the restored copy answers as it did at seq 2, so k2 reads as usable', async () => {
    const s = await story(false);
    expect(await resolvePeerKey(s.client.storage, NS, 'org-a', 'k2', { now: s.org.clock() })).toMatchObject({ usable: true });
  });

  it('defended: the next sync goes forward from 2 to 4 and re-learns the revocation of k2', async () => {
    const s = await story(false);
    const source = counting(loopbackTransport(s.org.storage));
    const [result] = await s.sync({ transport: source.transport });
    expect(source.requests[0]).toMatchObject({ since: 2 });
    expect(result).toMatchObject({ ok: true, fromSeq: 2, toSeq: 4, revoked: 1 });
    expect(await resolvePeerKey(s.client.storage, NS, 'org-a', 'k2', { now: s.org.clock() })).toMatchObject({ usable: false, reason: 'REVOKED' });
  });

  it('defended: nothing below the restored seq is accepted (a replayed pack 1 is ERR_PACK_ROLLBACK), and a source behind the client moves it nowhere', async () => {
    const s = await story(false);
    const pack1 = await packAt(s.org, 1);
    await expectRejected(s.client, 'ERR_PACK_ROLLBACK', () => applyAnchorPack(s.client.ctx(), pack1));
    const [result] = await s.sync({ transport: loopbackTransport(s.orgAtSeq3) });
    expect(result).toMatchObject({ ok: true, toSeq: 3 });
    expect(await resolvePeerKey(s.client.storage, NS, 'org-a', 'k2', { now: s.org.clock() })).toMatchObject({ reason: 'REVOKED' });
  });

  it('bounded: a source that withholds packs 3 and 4 keeps k2 usable only until pack 2 expires; after that the peer reads STALE', async () => {
    const s = await story(false);
    const frozen: Transport = { pull: async () => ({ packs: [], notModified: true }), push: async () => ({ stored: false, seq: 0 }) };
    expect((await s.sync({ transport: frozen }))[0]).toMatchObject({ ok: true, toSeq: 2 });
    const expiresAt = Date.parse((await getSyncState(s.client.storage, NS, 'org-a'))!.expiresAt);
    expect(expiresAt - s.org.clock()).toBeLessThanOrEqual(7 * DAY);
    expect(await resolvePeerKey(s.client.storage, NS, 'org-a', 'k2', { now: expiresAt - 1 })).toMatchObject({ usable: true });
    expect(await resolvePeerKey(s.client.storage, NS, 'org-a', 'k2', { now: expiresAt })).toMatchObject({ usable: false, reason: 'STALE' });
  });
});
