import { describe, expect, it } from 'vitest';
import { getAnchors, getSyncState, listPackSeqs, runAnchorSync } from '@anchorsync/core';
import { memoryStorage } from '@anchorsync/storage-memory';
import type { StorageDriver } from '@anchorsync/core';
import { postMessageTransport } from '../src/client.ts';
import { pullOp, pushOp, type PullOpOptions } from '../src/ops.ts';
import { servePostMessage, type ServePostMessageOptions } from '../src/responder.ts';
import { channel, makePublisher, NS, onCleanup, pinned, rejection } from './helpers.ts';

const peers = [{ ns: NS, orgId: 'org-a' }];

/** A responder on one end of a real MessageChannel, a client on the other; every message each way recorded. */
function connect(options: Omit<ServePostMessageOptions, 'listenOn'>) {
  const { port1, port2 } = channel();
  const responder = servePostMessage({ ...options, listenOn: port2 });
  onCleanup(() => responder.stop());
  const sent: Record<string, unknown>[] = [];
  const replies: Record<string, unknown>[] = [];
  port1.addEventListener('message', (e) => replies.push(e.data as Record<string, unknown>));
  const target = {
    postMessage(message: unknown) {
      sent.push(message as Record<string, unknown>);
      port1.postMessage(message);
    },
  };
  const transport = postMessageTransport({ target, listenOn: port1 });
  return { transport, responder, sent, replies, port1, port2 };
}

/** A responder serving `pull` of `storage`, as a worker serving sync would. */
const serving = (storage: StorageDriver, options?: PullOpOptions) => connect({ ops: { pull: pullOp(storage, options) } });

describe('sync over a real MessageChannel', () => {
  it('a new client receives the full set through runAnchorSync and verifies it against its pinned key', async () => {
    const pub = await makePublisher('org-a', 2);
    const { transport } = serving(pub.storage);
    const client = await pinned(pub);
    const [result] = await runAnchorSync({ storage: client, transport, peers });
    expect(result).toMatchObject({ ok: true, fromSeq: 0, toSeq: 2, packsApplied: 2, added: 2 });
    expect((await getAnchors(client, NS, 'org-a')).map((a) => a.kid)).toEqual(['k1', 'root']);
  });

  it('a client that is behind receives only the packs after its seq; an up-to-date one costs one request and no pack', async () => {
    const pub = await makePublisher('org-a', 1);
    const { transport, sent, replies } = serving(pub.storage, { refreshAfterSec: 120 });
    const client = await pinned(pub);
    await runAnchorSync({ storage: client, transport, peers });

    await pub.publish();
    const before = sent.length;
    const [delta] = await runAnchorSync({ storage: client, transport, peers, force: true });
    expect(delta).toMatchObject({ ok: true, fromSeq: 1, toSeq: 2, packsApplied: 1, added: 1 });
    expect(sent.slice(before)).toHaveLength(1);
    expect(sent[before]).toMatchObject({ op: 'pull', since: 1 });
    const page = replies[replies.length - 1]!.result as { packs: { seq: number; anchors: { kid: string }[] }[] };
    expect(page.packs.map((p) => [p.seq, p.anchors.map((a) => a.kid)])).toEqual([[2, ['k1']]]);

    const state = await getSyncState(client, NS, 'org-a');
    const [again] = await runAnchorSync({ storage: client, transport, peers, force: true });
    expect(again).toMatchObject({ ok: true, fromSeq: 2, toSeq: 2, pages: 1, packsApplied: 0 });
    expect(sent[sent.length - 1]).toMatchObject({ op: 'pull', since: 2, sinceHash: state!.hash });
    expect(replies[replies.length - 1]!.result).toEqual({ packs: [], notModified: true, refreshAfterSec: 120 });
    expect(Date.parse((await getSyncState(client, NS, 'org-a'))!.nextSyncAt!)).toBeGreaterThan(Date.now() + 110_000);
  });

  it('a log longer than a page arrives over many pages, in order, each continuing with the token', async () => {
    const pub = await makePublisher('org-a', 5);
    const { transport, sent } = serving(pub.storage, { pageSize: 2 });
    const client = await pinned(pub);
    const [result] = await runAnchorSync({ storage: client, transport, peers });
    expect(result).toMatchObject({ ok: true, toSeq: 5, packsApplied: 5, pages: 3 });
    expect(sent.map((m) => typeof m.token)).toEqual(['undefined', 'string', 'string']);
    expect((await getAnchors(client, NS, 'org-a')).map((a) => a.kid)).toEqual(['k1', 'k2', 'k3', 'k4', 'root']);
  });

  it('pulling an org the responder has nothing of fails with ERR_NOT_FOUND', async () => {
    const { transport } = serving(memoryStorage());
    expect((await rejection(transport.pull({ ns: NS, orgId: 'org-x', since: 0 }))).code).toBe('ERR_NOT_FOUND');
  });

  it('a relay stores a pushed pack signed by a key it pinned (idempotently) and serves it on', async () => {
    const pub = await makePublisher('org-a', 1);
    const relay = await pinned(pub);
    const { transport } = connect({ ops: { pull: pullOp(relay), push: pushOp({ storage: relay }) } });
    expect(await transport.push(pub.packs[0]!)).toEqual({ stored: true, seq: 1 });
    expect(await transport.push(pub.packs[0]!)).toEqual({ stored: false, seq: 1 });
    expect(await transport.push(await pub.publish())).toEqual({ stored: true, seq: 2 });
    expect(await listPackSeqs(relay, NS, 'org-a')).toEqual([1, 2]);

    const client = await pinned(pub);
    const [result] = await runAnchorSync({ storage: client, transport, peers });
    expect(result).toMatchObject({ ok: true, toSeq: 2, packsApplied: 2 });
  });

  it('a relay refuses a pack no pinned key signed, with ERR_PACK_SIGNATURE, and stores nothing', async () => {
    const pub = await makePublisher('org-a', 1);
    const stranger = await makePublisher('org-a', 1);
    const relay = await pinned(pub);
    const audit: string[] = [];
    const { transport } = connect({ ops: { push: pushOp({ storage: relay, audit: (e) => void audit.push(e.type) }) } });
    const before = await relay.list('');
    expect((await rejection(transport.push(stranger.packs[0]!))).code).toBe('ERR_PACK_SIGNATURE');
    expect(await relay.list('')).toEqual(before);
    expect(audit).toEqual(['FED_ANCHOR_SYNC_REJECT']);
  });

  it('a responder not serving push refuses pushes with ERR_METHOD_NOT_ALLOWED and stores nothing', async () => {
    const pub = await makePublisher('org-a', 1);
    const storage = await pinned(pub);
    const { transport } = serving(storage);
    const before = await storage.list('');
    expect((await rejection(transport.push(pub.packs[0]!))).code).toBe('ERR_METHOD_NOT_ALLOWED');
    expect(await storage.list('')).toEqual(before);
  });

  it('a push naming no valid org is refused by the responder with ERR_INVALID_ARGUMENT; one that is not plain data or too large is never posted', async () => {
    const storage = memoryStorage();
    const { transport, sent } = connect({ ops: { push: pushOp({ storage }) } });
    expect((await rejection(transport.push({ ns: NS, orgId: 'bad org' }))).code).toBe('ERR_INVALID_ARGUMENT');
    expect((await rejection(transport.push(null))).code).toBe('ERR_INVALID_ARGUMENT');
    expect(sent).toHaveLength(2);
    expect((await rejection(transport.push({ ns: NS, orgId: 'org-a', when: new Date() }))).code).toBe('ERR_INVALID_ARGUMENT');
    expect((await rejection(transport.push({ ns: NS, orgId: 'org-a', x: 'y'.repeat(9 * 1024 * 1024) }))).code).toBe('ERR_PACK_TOO_LARGE');
    expect(sent).toHaveLength(2);
    expect(await storage.list('')).toEqual([]);
  });
});
