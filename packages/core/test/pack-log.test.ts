import { describe, expect, it } from 'vitest';
import { getAnchors, getSyncState, isAnchorSyncError, listBaseSeqs, loopbackTransport, runAnchorSync, servePackPage, storePack, type AnchorPack } from '@anchorsync/core';
import { memoryStorage } from '@anchorsync/storage-memory';
import { makeClient, makeOrg, NS, snapshot, testClock } from './helpers.ts';

describe('pack log: where new peers start', () => {
  it('a new peer is served from the newest base (snapshot) pack, not from seq 1, and ends in the same state', async () => {
    const clock = testClock();
    const org = await makeOrg('org-a', { kids: ['k1', 'k2'], clock });
    await org.publish();
    await org.addSigner('k3');
    await org.publish();
    await org.publish({ snapshot: true });
    await org.addSigner('k4');
    await org.publish();
    expect(await listBaseSeqs(org.storage, NS, 'org-a')).toEqual([1, 3]);

    const first = await servePackPage(org.storage, { ns: NS, orgId: 'org-a', since: 0 });
    expect(first.packs.map((p) => (p as { seq: number }).seq)).toEqual([3, 4]);

    const client = makeClient(clock);
    await client.pin(org);
    const [result] = await runAnchorSync({ storage: client.storage, transport: loopbackTransport(org.storage), peers: [{ ns: NS, orgId: 'org-a' }], clock });
    expect(result).toMatchObject({ ok: true, toSeq: 4, packsApplied: 2 });
    expect(await getAnchors(client.storage, NS, 'org-a')).toEqual(await getAnchors(org.storage, NS, 'org-a'));
    expect((await getSyncState(client.storage, NS, 'org-a'))?.hash).toBe((await getSyncState(org.storage, NS, 'org-a'))?.hash);
  });

  it('a peer that is behind still gets the deltas after its seq (not the base), so it pays only for what changed', async () => {
    const clock = testClock();
    const org = await makeOrg('org-a', { kids: ['k1'], clock });
    await org.publish();
    await org.addSigner('k2');
    await org.publish();
    await org.publish({ snapshot: true });
    const page = await servePackPage(org.storage, { ns: NS, orgId: 'org-a', since: 1 });
    expect(page.packs.map((p) => (p as { seq: number }).seq)).toEqual([2, 3]);
  });
});

describe('storePack', () => {
  it('refuses what is not a v1 pack (typed, nothing stored), and refuses other bytes at a logged seq', async () => {
    const clock = testClock();
    const org = await makeOrg('org-a', { kids: ['k1'], clock });
    const { pack } = await org.publish();
    const relay = memoryStorage();
    const bad: unknown[] = [{ ...pack, extra: 1 }, { ...pack, anchors: [...pack.anchors, pack.anchors[0]] }, { ...pack, seq: 0 }];
    for (const value of bad) {
      await expect(storePack(relay, value as AnchorPack)).rejects.toSatisfy((e) => isAnchorSyncError(e) && e.code.startsWith('ERR_PACK_'));
      expect(await snapshot(relay)).toEqual({});
    }
    await storePack(relay, pack);
    const before = await snapshot(relay);
    await storePack(relay, pack);
    expect(await snapshot(relay)).toEqual(before);
    const other = { ...pack, expiresAt: new Date(Date.parse(pack.expiresAt) + 1).toISOString() };
    await expect(storePack(relay, other)).rejects.toSatisfy((e) => isAnchorSyncError(e, 'ERR_PACK_EQUIVOCATION'));
    expect(await snapshot(relay)).toEqual(before);
  });
});

describe('publish with many keys', () => {
  it('an organisation with more ACTIVE keys than a pack may carry signatures still publishes, signed by its 16 oldest keys', async () => {
    const clock = testClock();
    const kids = Array.from({ length: 20 }, (_, i) => `k${String(i).padStart(2, '0')}`);
    const org = await makeOrg('org-a', { kids, clock });
    const { pack } = await org.publish();
    expect(pack.anchors).toHaveLength(20);
    expect(pack.sig.map((s) => s.kid)).toEqual(kids.slice(0, 16));
  });
});
