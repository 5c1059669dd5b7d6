import { describe, expect, it } from 'vitest';
import {
  bytesToB64u,
  ed25519Sign,
  getAnchors,
  getSignerSecret,
  getSyncState,
  loopbackTransport,
  publishAnchorPack,
  revokeSigner,
  runAnchorSync,
  utf8,
  type StorageDriver,
} from '@anchorsync/core';
import { memoryStorage } from '@anchorsync/storage-memory';
import { postMessageTransport } from '../src/client.ts';
import { anchorsOp, peersOp, pullOp, syncStateOp, verifyOp } from '../src/ops.ts';
import { getPeerAnchors, getPeerSyncState, listPeers, verifyMessage } from '../src/reads.ts';
import { servePostMessage, type OpHandler } from '../src/responder.ts';
import { channel, makePublisher, NS, onCleanup, pinned, rejection, type Publisher } from './helpers.ts';

/**
 * A key manager: a store synced from org-a's publisher, answering on a real
 * MessageChannel the UI's reads, or the ops `opsOf` makes.
 */
async function keyManager(opsOf: (storage: StorageDriver) => Record<string, OpHandler> = uiOps) {
  const pub = await makePublisher('org-a', 2);
  const storage = await pinned(pub);
  await runAnchorSync({ storage, transport: loopbackTransport(pub.storage), peers: [{ ns: NS, orgId: 'org-a' }] });
  const { port1, port2 } = channel();
  const responder = servePostMessage({ listenOn: port2, ops: opsOf(storage) });
  onCleanup(() => responder.stop());
  return { pub, storage, responder, transport: postMessageTransport({ target: port1 }) };
}

function uiOps(storage: StorageDriver): Record<string, OpHandler> {
  return { verify: verifyOp(storage), peers: peersOp(storage), anchors: anchorsOp(storage), 'sync-state': syncStateOp(storage) };
}

async function sign(pub: Publisher, kid: string, message: string): Promise<string> {
  return bytesToB64u(ed25519Sign(utf8(message), await getSignerSecret(pub.storage, kid)));
}

describe('verifyMessage: the responder checks a signature against its synced anchors', () => {
  it('a message signed by an ACTIVE anchor is ok, as text and as bytes, and the verdict names the anchor', async () => {
    const { pub, transport } = await keyManager();
    const signature = await sign(pub, 'k1', 'hello from org-a');
    const verdict = await verifyMessage(transport, { ns: NS, orgId: 'org-a', kid: 'k1', message: 'hello from org-a', signature });
    expect(verdict).toMatchObject({ ok: true, anchor: { orgId: 'org-a', kid: 'k1', status: 'ACTIVE' } });
    const bytes = await verifyMessage(transport, { ns: NS, orgId: 'org-a', kid: 'k1', message: utf8('hello from org-a'), signature });
    expect(bytes.ok).toBe(true);
  });

  it('a signature by a key revoked since is refused with REVOKED once the key manager synced the revocation', async () => {
    const { pub, storage, transport } = await keyManager();
    const signature = await sign(pub, 'k1', 'sent before the revocation');
    await revokeSigner(pub.storage, 'k1');
    await publishAnchorPack({ storage: pub.storage, ns: NS, orgId: 'org-a' });
    await runAnchorSync({ storage, transport: loopbackTransport(pub.storage), peers: [{ ns: NS, orgId: 'org-a' }], force: true });
    const verdict = await verifyMessage(transport, { ns: NS, orgId: 'org-a', kid: 'k1', message: 'sent before the revocation', signature });
    expect(verdict).toMatchObject({ ok: false, reason: 'REVOKED', anchor: { kid: 'k1', status: 'REVOKED' } });
  });

  it('a wrong signature, another message, an unknown kid and an unknown org are each refused with their reason', async () => {
    const { pub, transport } = await keyManager();
    const signature = await sign(pub, 'k1', 'original');
    const ask = (over: object) => verifyMessage(transport, { ns: NS, orgId: 'org-a', kid: 'k1', message: 'original', signature, ...over });
    expect(await ask({ message: 'tampered' })).toMatchObject({ ok: false, reason: 'BAD_SIGNATURE' });
    expect(await ask({ signature: await sign(pub, 'root', 'original') })).toMatchObject({ ok: false, reason: 'BAD_SIGNATURE' });
    expect(await ask({ signature: 'AAAA' })).toMatchObject({ ok: false, reason: 'BAD_SIGNATURE' });
    expect(await ask({ kid: 'nobody' })).toEqual({ ok: false, reason: 'UNKNOWN_KID' });
    expect(await ask({ orgId: 'org-z' })).toEqual({ ok: false, reason: 'UNKNOWN_ORG' });
  });

  it('malformed arguments are refused locally with ERR_INVALID_ARGUMENT and never posted', async () => {
    const { transport } = await keyManager();
    expect((await rejection(verifyMessage(transport, { ns: NS, orgId: 'org a', kid: 'k1', message: 'm', signature: 'AAAA' }))).code).toBe('ERR_INVALID_ARGUMENT');
    const bad = { ns: NS, orgId: 'org-a', kid: 'k1', message: 42 as unknown as string, signature: 'AAAA' };
    expect((await rejection(verifyMessage(transport, bad))).code).toBe('ERR_INVALID_ARGUMENT');
    expect(transport.inFlight).toBe(0);
  });
});

describe('UI reads: peers, anchors, sync state', () => {
  it('listPeers names every synced or pinned peer with its state; getAnchors and getSyncState match the store', async () => {
    const { storage, transport } = await keyManager();
    const other = await makePublisher('org-b', 1);
    const { pinTrustAnchor } = await import('@anchorsync/core');
    await pinTrustAnchor(storage, { ns: 'staging', orgId: 'org-b', kid: 'root', pubB64u: other.pubB64u });
    const list = await listPeers(transport);
    expect(list.truncated).toBe(false);
    expect(list.peers.map((p) => [p.ns, p.orgId, p.state?.seq])).toEqual([
      [NS, 'org-a', 2],
      ['staging', 'org-b', undefined],
    ]);
    expect(list.peers[0]!.state).toEqual(await getSyncState(storage, NS, 'org-a'));
    expect(await getPeerAnchors(transport, NS, 'org-a')).toEqual(await getAnchors(storage, NS, 'org-a'));
    expect(await getPeerSyncState(transport, NS, 'org-a')).toEqual(await getSyncState(storage, NS, 'org-a'));
    expect(await getPeerSyncState(transport, NS, 'org-q')).toBeUndefined();
    expect(await getPeerAnchors(transport, NS, 'org-q')).toEqual([]);
    expect((await listPeers(transport, { ns: 'staging' })).peers).toEqual([{ ns: 'staging', orgId: 'org-b' }]);
    expect((await listPeers(transport, { ns: 'dev' })).peers).toEqual([]);
  });

  it('a responder serves only the ops it was given: others are ERR_METHOD_NOT_ALLOWED', async () => {
    const { transport } = await keyManager((storage) => ({ verify: verifyOp(storage) }));
    expect((await rejection(getPeerAnchors(transport, NS, 'org-a'))).code).toBe('ERR_METHOD_NOT_ALLOWED');
    expect((await rejection(transport.pull({ ns: NS, orgId: 'org-a', since: 0 }))).code).toBe('ERR_METHOD_NOT_ALLOWED');
    expect((await verifyMessage(transport, { ns: NS, orgId: 'org-a', kid: 'k9', message: '', signature: 'AAAA' })).ok).toBe(false);
  });

  it("an application's op gets its members and the origin, and its plain result comes back; unknown ones are refused", async () => {
    const seen: unknown[] = [];
    const { transport } = await keyManager((storage) => ({
      ...uiOps(storage),
      'x-echo': (members, info) => {
        seen.push([members, info]);
        return { echoed: members.value as string };
      },
      'x-leaky': () => ({ fn: () => 1 }),
      'x-throws': () => {
        throw new Error('a bug');
      },
    }));
    expect(await transport.request('x-echo', { value: 'hi' })).toEqual({ echoed: 'hi' });
    expect(seen).toEqual([[{ value: 'hi' }, { origin: '' }]]);
    expect((await rejection(transport.request('x-nothing'))).code).toBe('ERR_METHOD_NOT_ALLOWED');
    expect((await rejection(transport.request('x-leaky'))).code).toBe('ERR_INTERNAL');
    expect((await rejection(transport.request('x-throws'))).code).toBe('ERR_INTERNAL');
    expect((await rejection(transport.request(42 as unknown as string))).code).toBe('ERR_INVALID_ARGUMENT');
  });

  it('each read refuses an answer about another peer or key than it asked, with ERR_TRANSPORT', async () => {
    const { storage, transport } = await keyManager((store) => ({
      // A responder answering every read with what it holds for org-a, whatever was asked.
      verify: async () => ({ ok: true, anchor: (await getAnchors(store, NS, 'org-a'))[0]! }),
      anchors: async () => ({ anchors: await getAnchors(store, NS, 'org-a') }),
      'sync-state': async () => ({ state: (await getSyncState(store, NS, 'org-a'))! }),
      peers: async () => ({ peers: [{ ns: NS, orgId: 'org-a' }] }),
    }));
    const kids = (await getAnchors(storage, NS, 'org-a')).map((a) => a.kid);
    const verdict = verifyMessage(transport, { ns: NS, orgId: 'org-a', kid: kids[1]!, message: 'm', signature: 'AAAA' });
    expect((await rejection(verdict)).code).toBe('ERR_TRANSPORT');
    expect((await rejection(getPeerSyncState(transport, 'other', 'org-a'))).code).toBe('ERR_TRANSPORT');
    expect((await rejection(listPeers(transport, { ns: 'other' }))).code).toBe('ERR_TRANSPORT');
    expect((await rejection(getPeerAnchors(transport, NS, 'org-b'))).code).toBe('ERR_TRANSPORT');
    // The same answers to the questions they do fit are taken.
    expect((await getPeerAnchors(transport, NS, 'org-a')).map((a) => a.kid)).toEqual(kids);
  });
});

describe('a responder never echoes internal errors or secrets', () => {
  it('a storage failure reaches the client as ERR_INTERNAL "internal error", and only onError sees the cause', async () => {
    const secret = 'postgres://admin:hunter2@db.internal/keys';
    const inner = memoryStorage();
    const fail = async (): Promise<never> => Promise.reject(new Error(`connect ${secret} failed`));
    const failing: StorageDriver = { ...inner, get: fail, list: fail };
    const errors: unknown[] = [];
    const { port1, port2 } = channel();
    const responder = servePostMessage({ listenOn: port2, ops: { pull: pullOp(failing), ...uiOps(failing) }, onError: (e) => errors.push(e) });
    onCleanup(() => responder.stop());
    const raw: string[] = [];
    port1.addEventListener('message', (e) => raw.push(JSON.stringify(e.data)));
    const transport = postMessageTransport({ target: port1 });
    for (const call of [() => transport.pull({ ns: NS, orgId: 'org-a', since: 0 }), () => getPeerAnchors(transport, NS, 'org-a'), () => listPeers(transport)]) {
      const e = await rejection(call());
      expect(e.code).toBe('ERR_INTERNAL');
      expect(e.message).toBe('responder: internal error');
    }
    expect(raw).toHaveLength(3);
    for (const text of raw) {
      expect(text).not.toContain('hunter2');
      expect(text).not.toMatch(/\n\s+at |\.ts:\d|node_modules|Error:/);
      expect(Object.keys(JSON.parse(text) as object).sort()).toEqual(['anchorsync', 'error', 'id', 'ok']);
    }
    expect(errors).toHaveLength(3);
    expect(String((errors[0] as Error).cause ?? errors[0])).toContain('hunter2');
  });
});
