/**
 * Windows on different origins, simulated with the delivery rules of
 * Window.postMessage (helpers.ts): an app page at https://app.example, a key
 * manager iframe at https://keys.example, and a hostile page.
 */
import { describe, expect, it } from 'vitest';
import { getAnchors, runAnchorSync, type StorageDriver } from '@anchorsync/core';
import { memoryStorage } from '@anchorsync/storage-memory';
import { postMessageTransport, type MessageSource, type PortTarget, type WindowTarget } from '../src/client.ts';
import { anchorsOp, pullOp } from '../src/ops.ts';
import { getPeerAnchors, listPeers } from '../src/reads.ts';
import { servePostMessage } from '../src/responder.ts';
import { webLocksLock, type LockManagerLike } from '../src/tabs.ts';
import { FakeWindow, makePublisher, NS, onCleanup, pinned, posts, rejection, settle } from './helpers.ts';

const APP = 'https://app.example';
const KEYS = 'https://keys.example';
const EVIL = 'https://evil.example';

function counting(inner: StorageDriver): StorageDriver & { reads: number } {
  const s = {
    reads: 0,
    get: (k: string) => (s.reads++, inner.get(k)),
    list: (p: string) => (s.reads++, inner.list(p)),
    set: inner.set.bind(inner),
    delete: inner.delete.bind(inner),
  };
  return s;
}

async function setup(allow: { allowedOrigins?: string[]; allowAnyOrigin?: boolean } = { allowedOrigins: [APP] }) {
  const pub = await makePublisher('org-a', 2);
  const app = new FakeWindow(APP);
  const keys = new FakeWindow(KEYS);
  const evil = new FakeWindow(EVIL);
  const storage = counting(pub.storage);
  const origins: string[] = [];
  const ops = {
    pull: pullOp(storage),
    anchors: anchorsOp(storage),
    'x-origin': (_members: Record<string, unknown>, info: { origin: string }) => (origins.push(info.origin), info.origin),
  };
  const responder = servePostMessage({ listenOn: keys, ops, ...allow });
  onCleanup(() => responder.stop());
  const transport = postMessageTransport({ target: keys.proxyFor(app), targetOrigin: KEYS, listenOn: app, timeoutMs: 300 });
  return { pub, app, keys, evil, storage, responder, transport, origins };
}

const anchorsRequest = (id: string) => ({ anchorsync: 1, id, op: 'anchors', ns: NS, orgId: 'org-a' });

describe('between windows: exact origins both ways, never "*"', () => {
  it('an app page syncs from the key manager frame, and every post names the exact origin of its receiver', async () => {
    const { pub, transport } = await setup();
    const client = await pinned(pub);
    const [result] = await runAnchorSync({ storage: client, transport, peers: [{ ns: NS, orgId: 'org-a' }] });
    expect(result).toMatchObject({ ok: true, toSeq: 2, packsApplied: 2 });
    expect((await getAnchors(client, NS, 'org-a')).map((a) => a.kid)).toEqual(['k1', 'root']);
    expect(posts.length).toBe(2);
    expect(posts.map((p) => [p.from, p.to, p.targetOrigin])).toEqual([
      [APP, KEYS, KEYS],
      [KEYS, APP, APP],
    ]);
  });

  it("the client refuses targetOrigin '*' (and anything but an exact origin), and a Window without targetOrigin or listenOn", () => {
    const app = new FakeWindow(APP);
    const target = new FakeWindow(KEYS).proxyFor(app);
    for (const targetOrigin of ['*', '/', 'null', 'https://keys.example/', 'https://*.example', 'keys.example', 'HTTPS://keys.example']) {
      expect(() => postMessageTransport({ target, targetOrigin, listenOn: app }), targetOrigin).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    }
    // Even for a port, '*' is a mistake worth stopping.
    expect(() => postMessageTransport({ target: { postMessage: () => undefined, addEventListener() {}, removeEventListener() {} } as PortTarget, targetOrigin: '*' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
    expect(() => postMessageTransport({ target, listenOn: app })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => postMessageTransport({ target, targetOrigin: KEYS })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(posts).toEqual([]);
  });

  it('the responder drops a request from an unlisted origin: no answer, no storage read', async () => {
    const { keys, evil, storage, responder, transport } = await setup();
    const readsBefore = storage.reads;
    keys.proxyFor(evil).postMessage(anchorsRequest('evil.1'), KEYS);
    await settle();
    expect(posts.filter((p) => p.from === KEYS)).toEqual([]);
    expect(storage.reads).toBe(readsBefore);
    expect(responder.stats().dropped).toBe(1);
    // The listed origin is still served.
    expect((await getPeerAnchors(transport, NS, 'org-a')).length).toBeGreaterThan(0);
  });

  it("an application's op is told the asking window's origin", async () => {
    const { transport, origins } = await setup();
    expect(await transport.request('x-origin')).toBe(APP);
    expect(origins).toEqual([APP]);
  });

  it('with allowAnyOrigin, any origin is answered, still to its own origin and never with "*"', async () => {
    const { keys, evil } = await setup({ allowAnyOrigin: true });
    const replies: unknown[] = [];
    evil.addEventListener('message', (e) => replies.push((e as unknown as { data: unknown }).data));
    keys.proxyFor(evil).postMessage(anchorsRequest('evil.2'), KEYS);
    await settle();
    expect(replies).toHaveLength(1);
    expect(posts.filter((p) => p.from === KEYS).map((p) => p.targetOrigin)).toEqual([EVIL]);
  });

  it('the client takes a reply only from the target window at targetOrigin: forged replies are ignored', async () => {
    const app = new FakeWindow(APP);
    const keys = new FakeWindow(KEYS);
    const evil = new FakeWindow(EVIL);
    const twin = new FakeWindow(KEYS); // another window of the same origin, e.g. a second tab of the key manager
    const requests: { id: string }[] = [];
    keys.addEventListener('message', (e) => requests.push((e as unknown as { data: { id: string } }).data));
    const transport = postMessageTransport({ target: keys.proxyFor(app), targetOrigin: KEYS, listenOn: app });
    const pending = transport.pull({ ns: NS, orgId: 'org-a', since: 0 });
    await settle();
    const id = requests[0]!.id;
    const forged = { anchorsync: 1, id, ok: true, result: { packs: [{ forged: true }] } };
    app.proxyFor(evil).postMessage(forged, APP);
    app.proxyFor(twin).postMessage(forged, APP);
    await settle();
    expect(transport.inFlight).toBe(1);
    app.proxyFor(keys).postMessage({ anchorsync: 1, id, ok: true, result: { packs: [] } }, APP);
    expect(await pending).toEqual({ packs: [] });
  });

  it('a reply that never comes (target navigated away, message dropped by targetOrigin) times out', async () => {
    const app = new FakeWindow(APP);
    const navigated = new FakeWindow(EVIL); // the frame now shows another origin: the browser drops our post
    const transport = postMessageTransport({ target: navigated.proxyFor(app), targetOrigin: KEYS, listenOn: app, timeoutMs: 100 });
    expect((await rejection(listPeers(transport))).code).toBe('ERR_TIMEOUT');
    expect(posts.map((p) => p.targetOrigin)).toEqual([KEYS]);
  });
});

describe('structural types', () => {
  it('DOM objects fit them: Window, MessagePort, Worker, LockManager (checked by tsc; this only runs the file)', () => {
    // Never called: tsc type-checks this file with the DOM lib, so a DOM object that stopped fitting fails the build.
    const fits = (w: Window, port: MessagePort, worker: Worker, frame: HTMLIFrameElement, locks: LockManager) => {
      postMessageTransport({ target: frame.contentWindow!, targetOrigin: KEYS, listenOn: w });
      postMessageTransport({ target: port });
      postMessageTransport({ target: worker });
      servePostMessage({ listenOn: w, allowedOrigins: [APP], ops: { anchors: anchorsOp(memoryStorage()) } });
      servePostMessage({ listenOn: port, ops: { pull: pullOp(memoryStorage()) } });
      webLocksLock({ locks });
      const asTypes: [WindowTarget, PortTarget, MessageSource, LockManagerLike] = [w, port, worker, locks];
      return asTypes;
    };
    expect(typeof fits).toBe('function');
  });
});
