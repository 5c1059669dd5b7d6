// The anchors record carries the log position it reflects, so a store whose
// keys disagree (a lagging replica, a partial restore) is never merged onto.
import { describe, expect, it } from 'vitest';
import { getAnchors, getSyncState, loopbackTransport, runAnchorSync, storageKeys, type JsonValue } from '@anchorsync/core';
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
  it('the engine stores anchors as { v: 1, seq, hash, anchors } at the accepted seq', async () => {
    const { client } = await scenario();
    const raw = (await client.storage.get(storageKeys.anchors(NS, 'org-a'))) as { v: number; seq: number; hash: string };
    expect(raw).toMatchObject({ v: 1, seq: 1, hash: (await getSyncState(client.storage, NS, 'org-a'))!.hash });
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
});
