/** Cross-tab change notices over Node's real BroadcastChannel. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loopbackTransport, runAnchorSync, getSyncState, type AuditEvent } from '@anchorsync/core';
import { broadcastAnchorChanges, onAnchorChanges, type AnchorChange } from '../src/tabs.ts';
import { makePublisher, NS, onCleanup, pinned, settle } from './helpers.ts';

let n = 0;
const uniqueName = () => `anchorsync-test-${process.pid}-${++n}`;
const peers = [{ ns: NS, orgId: 'org-a' }];

async function until(done: () => boolean): Promise<void> {
  const end = Date.now() + 5_000;
  while (!done()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('broadcastAnchorChanges / onAnchorChanges', () => {
  it('another context hears {ns, orgId, seq} for every applied pack, after the pack is stored', async () => {
    const channelName = uniqueName();
    const pub = await makePublisher('org-a', 2);
    const storage = await pinned(pub);
    const heard: { change: AnchorChange; storedSeq: number | undefined }[] = [];
    const stop = onAnchorChanges(
      (change) => void getSyncState(storage, change.ns, change.orgId).then((s) => heard.push({ change, storedSeq: s?.seq })),
      { channelName },
    );
    const events: AuditEvent['type'][] = [];
    const audit = broadcastAnchorChanges({ channelName, next: (e) => void events.push(e.type) });
    onCleanup(() => (stop(), audit.close()));

    await runAnchorSync({ storage, transport: loopbackTransport(pub.storage), peers, audit });
    await until(() => heard.length === 2);
    expect(heard.map((h) => h.change)).toEqual([
      { ns: NS, orgId: 'org-a', seq: 1 },
      { ns: NS, orgId: 'org-a', seq: 2 },
    ]);
    // By the time a notice is read, the store already holds at least that seq.
    for (const h of heard) expect(h.storedSeq).toBeGreaterThanOrEqual(h.change.seq);
    expect(events).toEqual(['FED_ANCHOR_SYNC_PULL', 'FED_ANCHOR_SYNC_APPLY', 'FED_ANCHOR_SYNC_APPLY']);

    // A sync that changes nothing says nothing.
    await runAnchorSync({ storage, transport: loopbackTransport(pub.storage), peers, audit, force: true });
    await settle(10);
    expect(heard).toHaveLength(2);
  });

  it('a listener ignores anything else on the channel: any script of the origin may post there', async () => {
    const channelName = uniqueName();
    const heard: AnchorChange[] = [];
    const stop = onAnchorChanges((c) => heard.push(c), { channelName });
    const other = new BroadcastChannel(channelName);
    onCleanup(() => (stop(), other.close()));
    const valid = { anchorsync: 1, type: 'anchors-changed', ns: NS, orgId: 'org-a', seq: 7 };
    for (const junk of ['hi', null, { ...valid, anchorsync: 2 }, { ...valid, type: 'other' }, { ...valid, ns: 'bad ns' }, { ...valid, seq: 0 }, { ...valid, seq: 1.5 }, { ...valid, extra: 1 }]) {
      other.postMessage(junk);
    }
    other.postMessage(valid);
    await until(() => heard.length === 1);
    await settle(5);
    expect(heard).toEqual([{ ns: NS, orgId: 'org-a', seq: 7 }]);
  });

  it('after the stop function, nothing more is heard', async () => {
    const channelName = uniqueName();
    const heard: AnchorChange[] = [];
    const stop = onAnchorChanges((c) => heard.push(c), { channelName });
    const other = new BroadcastChannel(channelName);
    onCleanup(() => other.close());
    other.postMessage({ anchorsync: 1, type: 'anchors-changed', ns: NS, orgId: 'org-a', seq: 1 });
    await until(() => heard.length === 1);
    stop();
    other.postMessage({ anchorsync: 1, type: 'anchors-changed', ns: NS, orgId: 'org-a', seq: 2 });
    await settle(10);
    expect(heard).toHaveLength(1);
  });

  it('without BroadcastChannel both do nothing, and the sink still passes every event on', async () => {
    vi.stubGlobal('BroadcastChannel', undefined);
    const pub = await makePublisher('org-a', 1);
    const storage = await pinned(pub);
    const events: string[] = [];
    const stop = onAnchorChanges(() => undefined);
    const audit = broadcastAnchorChanges({ next: (e) => void events.push(e.type) });
    const [result] = await runAnchorSync({ storage, transport: loopbackTransport(pub.storage), peers, audit });
    expect(result).toMatchObject({ ok: true, toSeq: 1, warnings: [] });
    expect(events).toEqual(['FED_ANCHOR_SYNC_PULL', 'FED_ANCHOR_SYNC_APPLY']);
    stop();
    audit.close();
  });
});
