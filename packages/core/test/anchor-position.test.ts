// The anchors record carries the log position it reflects, so a store whose
// keys disagree (a lagging replica, a partial restore) is never merged onto.
import { describe, expect, it } from 'vitest';
import { getAnchors, isAnchorSyncError, setAnchors, getSyncState, loopbackTransport, runAnchorSync, storageKeys, type JsonValue } from '@anchorsync/core';
import { makeClient, makeOrg, NS, snapshot, testClock } from './helpers.ts';

async function scenario() {
  const clock = testClock();
  const org = await makeOrg('org-a', { kids: ['k1', 'k2'], clock });
  await org.publish();
  const client = makeClient(clock);
  await client.pin(org);
  const sync = () => runAnchorSync({ storage: client.storage, transport: loopbackTransport(org.storage), peers: [{ ns: NS, orgId: 'org-a' }], clock, force: true });
  await sync();
  return { clock, org, client, sync };
}

describe('anchors record position', () => {
  it('the engine stores anchors as { v: 2, seq, hash, anchors: [kid, pubB64u, status, createdAt, updatedAt][] } at the accepted seq', async () => {
    const { client } = await scenario();
    const raw = (await client.storage.get(storageKeys.anchors(NS, 'org-a'))) as { v: number; seq: number; hash: string; anchors: unknown[] };
    expect(raw).toMatchObject({ v: 2, seq: 1, hash: (await getSyncState(client.storage, NS, 'org-a'))!.hash });
    const anchors = await getAnchors(client.storage, NS, 'org-a');
    expect(raw.anchors).toEqual(anchors.map((a) => [a.kid, a.pubB64u, a.status, a.createdAt, a.updatedAt]));
  });

  it('a v1 record (whole anchor objects) written by an earlier version still reads, and the next apply rewrites it as v2', async () => {
    const { org, client, sync } = await scenario();
    const v2 = (await client.storage.get(storageKeys.anchors(NS, 'org-a'))) as { seq: number; hash: string };
    const anchors = await getAnchors(client.storage, NS, 'org-a');
    await client.storage.set(storageKeys.anchors(NS, 'org-a'), { v: 1, seq: v2.seq, hash: v2.hash, anchors } as unknown as JsonValue);
    expect(await getAnchors(client.storage, NS, 'org-a')).toEqual(anchors);
    await org.revoke('k2');
    await org.publish();
    expect((await sync())[0]).toMatchObject({ ok: true, toSeq: 2, revoked: 1 });
    expect(await client.storage.get(storageKeys.anchors(NS, 'org-a'))).toMatchObject({ v: 2, seq: 2 });
  });

  it('a v2 record whose tuples are malformed, or a record of an unknown version, is ERR_STORAGE_CORRUPT', async () => {
    const { client } = await scenario();
    const good = (await client.storage.get(storageKeys.anchors(NS, 'org-a'))) as { v: number; seq: number; hash: string; anchors: unknown[][] };
    const bad: unknown[] = [
      { ...good, anchors: [good.anchors[0]!.slice(0, 4)] },
      { ...good, anchors: [[...good.anchors[0]!, 'extra']] },
      { ...good, anchors: [{ kid: 'k1' }] },
      { ...good, anchors: [['k1', 'not-a-key', 'ACTIVE', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z']] },
      { ...good, v: 3 },
    ];
    for (const value of bad) {
      await client.storage.set(storageKeys.anchors(NS, 'org-a'), value as JsonValue);
      await expect(getAnchors(client.storage, NS, 'org-a')).rejects.toSatisfy((e) => isAnchorSyncError(e, 'ERR_STORAGE_CORRUPT'));
    }
  });

  it('anchors older than the sync state (a stale read or a partial restore) are refused with ERR_STORAGE_ROLLBACK and nothing is written', async () => {
    const { org, client, sync } = await scenario();
    const oldAnchors = (await client.storage.get(storageKeys.anchors(NS, 'org-a'))) as JsonValue;
    await org.revoke('k2');
    await org.publish();
    expect((await sync())[0]).toMatchObject({ ok: true, toSeq: 2, revoked: 1 });
    // Put back the anchors of #1 (k2 ACTIVE) under the state of #2.
    await client.storage.set(storageKeys.anchors(NS, 'org-a'), oldAnchors);
    await org.addSigner('k3');
    await org.publish();
    const before = await snapshot(client.storage);
    const [result] = await sync();
    expect(result).toMatchObject({ ok: false, rejected: { code: 'ERR_STORAGE_ROLLBACK' } });
    expect(await snapshot(client.storage)).toEqual(before);
  });

  it('a sync state older than the anchors is completed from the pack the anchors hold, never written back below them', async () => {
    const { org, client, sync } = await scenario();
    const oldState = (await client.storage.get(storageKeys.syncState(NS, 'org-a'))) as JsonValue;
    await org.revoke('k2');
    await org.publish();
    await sync();
    await client.storage.set(storageKeys.syncState(NS, 'org-a'), oldState);
    const [result] = await sync();
    expect(result).toMatchObject({ ok: true, fromSeq: 1, toSeq: 2 });
    expect((await getSyncState(client.storage, NS, 'org-a'))?.seq).toBe(2);
    expect((await getAnchors(client.storage, NS, 'org-a')).find((a) => a.kid === 'k2')?.status).toBe('REVOKED');
  });

  it('anchors of another org are refused: setAnchors says ERR_INVALID_ARGUMENT, a stored record holding one is ERR_STORAGE_CORRUPT, and an apply onto it writes nothing', async () => {
    const { org, client, sync } = await scenario();
    const mine = await getAnchors(client.storage, NS, 'org-a');
    const foreign = { ...mine[0]!, orgId: 'org-b', kid: 'zz-foreign' };
    const before = await snapshot(client.storage);
    await expect(setAnchors(client.storage, NS, 'org-a', [...mine, foreign])).rejects.toSatisfy((e) => isAnchorSyncError(e, 'ERR_INVALID_ARGUMENT'));
    expect(await snapshot(client.storage)).toEqual(before);

    const v2 = (await client.storage.get(storageKeys.anchors(NS, 'org-a'))) as { seq: number; hash: string };
    for (const record of [[...mine, foreign], { v: 1, seq: v2.seq, hash: v2.hash, anchors: [...mine, foreign] }, { ...v2, v: 2, anchors: [foreign] }]) {
      await client.storage.set(storageKeys.anchors(NS, 'org-a'), record as unknown as JsonValue);
      await expect(getAnchors(client.storage, NS, 'org-a')).rejects.toSatisfy((e) => isAnchorSyncError(e, 'ERR_STORAGE_CORRUPT'));
    }
    await org.addSigner('k3');
    await org.publish();
    const held = await snapshot(client.storage);
    const [result] = await sync();
    expect(result).toMatchObject({ ok: false, rejected: { code: 'ERR_STORAGE_CORRUPT' } });
    expect(await snapshot(client.storage)).toEqual(held);
  });
});
