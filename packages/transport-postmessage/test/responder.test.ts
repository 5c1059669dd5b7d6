import { describe, expect, it } from 'vitest';
import type { StorageDriver } from '@anchorsync/core';
import { memoryStorage } from '@anchorsync/storage-memory';
import { postMessageTransport } from '../src/client.ts';
import { anchorsOp, peersOp, pullOp, pushOp, syncStateOp, verifyOp } from '../src/ops.ts';
import { getPeerAnchors, listPeers } from '../src/reads.ts';
import { servePostMessage, type OpHandler, type ServePostMessageOptions } from '../src/responder.ts';
import { channel, FakeWindow, makePublisher, NS, onCleanup, rejection, settle } from './helpers.ts';

type Msg = Record<string, unknown>;

/** A storage that counts calls and answers after `delayMs` (IndexedDB is not instant). */
function slowStorage(delayMs = 0): StorageDriver & { calls: number } {
  const inner = memoryStorage();
  const wait = () => new Promise((resolve) => setTimeout(resolve, delayMs));
  const s = {
    calls: 0,
    get: async (k: string) => (s.calls++, await wait(), inner.get(k)),
    set: async (k: string, v: Parameters<StorageDriver['set']>[1]) => (s.calls++, await wait(), inner.set(k, v)),
    delete: async (k: string) => (s.calls++, await wait(), inner.delete(k)),
    list: async (p: string) => (s.calls++, await wait(), inner.list(p)),
  };
  return s;
}

/** A responder on port2; raw messages posted on port1, replies collected by id. */
function raw(options: Omit<ServePostMessageOptions, 'listenOn'>) {
  const { port1, port2 } = channel();
  const responder = servePostMessage({ ...options, listenOn: port2 });
  onCleanup(() => responder.stop());
  const replies = new Map<string, Msg>();
  const all: unknown[] = [];
  port1.addEventListener('message', (e) => {
    all.push(e.data);
    replies.set((e.data as Msg).id as string, e.data as Msg);
  });
  port1.start();
  const until = async (done: () => boolean, ms = 20_000) => {
    const end = Date.now() + ms;
    while (!done()) {
      if (Date.now() > end) throw new Error('timed out waiting');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  /** Posts one message and returns its reply (or undefined when none came within a short wait). */
  const ask = async (message: unknown): Promise<Msg | undefined> => {
    const before = all.length;
    port1.postMessage(message);
    await settle(10);
    return all.length > before ? (all[all.length - 1] as Msg) : undefined;
  };
  return { port1, responder, replies, all, until, ask };
}

const anchorsOf = (id: string) => ({ anchorsync: 1, id, op: 'anchors', ns: NS, orgId: 'org-a' });

/** Every op of the protocol on `storage`. */
function protocolOps(storage: StorageDriver): Record<string, OpHandler> {
  return {
    pull: pullOp(storage),
    push: pushOp({ storage }),
    verify: verifyOp(storage),
    peers: peersOp(storage),
    anchors: anchorsOp(storage),
    'sync-state': syncStateOp(storage),
  };
}

describe('servePostMessage: every request is schema-checked', () => {
  const invalid: [string, Msg][] = [
    ['no op', { ns: NS }],
    ['an op that is not a string', { op: 42 }],
    ['a missing member', { op: 'anchors', ns: NS }],
    ['an unknown member', { op: 'anchors', ns: NS, orgId: 'org-a', admin: true }],
    ['a member named __proto__', { op: 'anchors', ns: NS, orgId: 'org-a', ...(JSON.parse('{"__proto__":{"admin":true}}') as Msg) }],
    ['an id that is not an id', { op: 'anchors', ns: NS, orgId: '../../etc' }],
    ['a peers ns that is not an id', { op: 'peers', ns: 'a:b' }],
    ['a negative since', { op: 'pull', ns: NS, orgId: 'org-a', since: -1 }],
    ['a fractional since', { op: 'pull', ns: NS, orgId: 'org-a', since: 1.5 }],
    ['a sinceHash that is not base64url', { op: 'pull', ns: NS, orgId: 'org-a', since: 1, sinceHash: 'a"b' }],
    ['a token of 1,025 characters', { op: 'pull', ns: NS, orgId: 'org-a', since: 1, token: 't'.repeat(1025) }],
    ['a push without a pack', { op: 'push', ns: NS, orgId: 'org-a' }],
    ['both message and messageB64u', { op: 'verify', ns: NS, orgId: 'org-a', kid: 'k1', signature: 'AAAA', message: 'm', messageB64u: 'bQ' }],
    ['neither message nor messageB64u', { op: 'verify', ns: NS, orgId: 'org-a', kid: 'k1', signature: 'AAAA' }],
    ['a messageB64u that is not base64url', { op: 'verify', ns: NS, orgId: 'org-a', kid: 'k1', signature: 'AAAA', messageB64u: 'a+b/' }],
    ['a signedAt that is an object', { op: 'verify', ns: NS, orgId: 'org-a', kid: 'k1', signature: 'AAAA', message: 'm', signedAt: {} }],
    ['a Map inside (not plain JSON)', { op: 'peers', ns: new Map() as unknown as string }],
    ['nesting 40 deep', { op: 'x-deep', params: JSON.parse(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`) as Msg }],
  ];
  for (const [what, body] of invalid) {
    it(`${what} is answered ERR_INVALID_ARGUMENT, and storage is never touched`, async () => {
      const storage = slowStorage();
      const { ask } = raw({ ops: protocolOps(storage) });
      const reply = await ask({ anchorsync: 1, id: 'r.1', ...body });
      expect(reply).toMatchObject({ anchorsync: 1, id: 'r.1', ok: false, error: { code: 'ERR_INVALID_ARGUMENT' } });
      expect(storage.calls).toBe(0);
    });
  }

  it('an op the responder was not given is answered ERR_METHOD_NOT_ALLOWED, and storage is never touched', async () => {
    const storage = slowStorage();
    const { ask } = raw({ ops: { anchors: anchorsOp(storage) } });
    for (const op of ['pull', 'push', 'drop-tables', 'constructor', '__proto__', 'toString']) {
      expect(await ask({ anchorsync: 1, id: 'm.1', op, ns: NS, orgId: 'org-a' }), op).toMatchObject({ ok: false, error: { code: 'ERR_METHOD_NOT_ALLOWED' } });
    }
    expect(storage.calls).toBe(0);
    expect(await ask(anchorsOf('served'))).toMatchObject({ ok: true, result: { anchors: [] } });
  });

  it('a message without the anchorsync envelope or with an unusable id is dropped without an answer', async () => {
    const storage = slowStorage();
    const { ask, responder } = raw({ ops: protocolOps(storage) });
    for (const m of ['hi', null, [1], { op: 'peers' }, { anchorsync: 2, id: 'a', op: 'peers' }, { anchorsync: 1, op: 'peers' }, { anchorsync: 1, id: 'a b', op: 'peers' }, { anchorsync: 1, id: 'x'.repeat(65), op: 'peers' }]) {
      expect(await ask(m)).toBeUndefined();
    }
    expect(responder.stats().dropped).toBe(8);
    expect(storage.calls).toBe(0);
  });

  it('a request over maxRequestBytes is answered ERR_PACK_TOO_LARGE, and the responder carries on', async () => {
    const pub = await makePublisher('org-a', 1);
    const { ask } = raw({ ops: protocolOps(pub.storage) });
    const big = await ask({ anchorsync: 1, id: 'big', op: 'push', ns: NS, orgId: 'org-a', pack: { filler: 'x'.repeat(9 * 1024 * 1024) } });
    expect(big).toMatchObject({ id: 'big', ok: false, error: { code: 'ERR_PACK_TOO_LARGE' } });
    expect(await ask(anchorsOf('after'))).toMatchObject({ id: 'after', ok: true });
  });

  it('a sparse array claiming a billion elements, and a cyclic object, are refused without being walked', async () => {
    const { ask } = raw({ ops: protocolOps(memoryStorage()) });
    const sparse: unknown[] = [];
    sparse.length = 1e9;
    const cyclic: Msg = { a: 1 };
    cyclic.self = cyclic;
    const started = Date.now();
    expect(await ask({ anchorsync: 1, id: 's', op: 'x-a', params: { sparse } })).toMatchObject({ ok: false, error: { code: 'ERR_PACK_TOO_LARGE' } });
    expect(await ask({ anchorsync: 1, id: 'c', op: 'x-a', params: cyclic })).toMatchObject({ ok: false, error: { code: 'ERR_INVALID_ARGUMENT' } });
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('servePostMessage: a flood cannot grow memory without bound', () => {
  it('10,000 requests at once: at most maxPending held, every one answered (result or busy), responsive after', async () => {
    const storage = slowStorage(1);
    const { port1, responder, replies, until } = raw({ ops: { anchors: anchorsOp(storage) } });
    const started = Date.now();
    for (let i = 0; i < 10_000; i++) port1.postMessage(anchorsOf(`f.${i}`));
    await until(() => replies.size === 10_000);
    const took = Date.now() - started;
    const stats = responder.stats();
    const answered = [...replies.values()];
    const busy = answered.filter((r) => (r.error as Msg | undefined)?.message === 'responder busy: too many requests pending');
    const served = answered.filter((r) => r.ok === true);
    expect(busy.length + served.length).toBe(10_000);
    expect(busy.length).toBeGreaterThan(0);
    expect(busy.every((r) => (r.error as Msg).code === 'ERR_TRANSPORT')).toBe(true);
    expect(stats.highWater).toBe(64);
    expect(stats.busy).toBe(busy.length);
    expect(stats.pending).toBe(0);
    expect(stats.pendingBytes).toBe(0);
    expect(took).toBeLessThan(15_000);

    const transport = postMessageTransport({ target: port1, timeoutMs: 1_000 });
    const t0 = Date.now();
    expect(await getPeerAnchors(transport, NS, 'org-a')).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(500);
  });

  it('the bytes held are bounded too: past maxPendingBytes a request is answered busy', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { port1, replies, until, responder } = raw({
      ops: { 'x-hold': async () => (await gate, 'done') },
      maxPendingBytes: 10_000,
    });
    for (let i = 0; i < 5; i++) port1.postMessage({ anchorsync: 1, id: `h.${i}`, op: 'x-hold', pad: 'p'.repeat(3_000) });
    await until(() => replies.size === 2);
    expect([...replies.values()].map((r) => (r.error as Msg).message)).toEqual(['responder busy: too many bytes pending', 'responder busy: too many bytes pending']);
    expect(responder.stats().highWaterBytes).toBeLessThanOrEqual(10_000);
    release();
    await until(() => replies.size === 5);
    expect([...replies.values()].filter((r) => r.ok === true)).toHaveLength(3);
  });
});

describe('servePostMessage: options and lifecycle', () => {
  it('refuses unusable options with ERR_INVALID_ARGUMENT', async () => {
    const storage = memoryStorage();
    const win = new FakeWindow('https://keys.example');
    const { port2 } = channel();
    const ops = { anchors: anchorsOp(storage) };
    const cases: Partial<ServePostMessageOptions>[] = [
      { listenOn: win },
      { listenOn: win, allowedOrigins: [] },
      { listenOn: win, allowedOrigins: ['*'] },
      { listenOn: win, allowedOrigins: ['https://*.app.example'] },
      { listenOn: win, allowedOrigins: ['https://app.example/'] },
      { listenOn: win, allowedOrigins: ['https://App.example'] },
      { listenOn: win, allowedOrigins: ['null'] },
      { listenOn: win, allowedOrigins: ['https://app.example'], allowAnyOrigin: true },
      { listenOn: port2, allowedOrigins: ['https://app.example'] },
      { listenOn: port2, ops: {} },
      { listenOn: port2, ops: undefined as unknown as Record<string, OpHandler> },
      { listenOn: port2, ops: { 'Not An Op': async () => null } },
      { listenOn: port2, ops: { 'x-a': 'handler' as unknown as OpHandler } },
      { listenOn: port2, maxPending: 0 },
      { listenOn: {} as ServePostMessageOptions['listenOn'] },
    ];
    for (const c of cases) {
      expect(() => servePostMessage({ ops, ...c } as ServePostMessageOptions), JSON.stringify(c.allowedOrigins ?? c.ops)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
    }
  });

  it("the protocol's ops refuse unusable options with ERR_INVALID_ARGUMENT when made", () => {
    const storage = memoryStorage();
    const notStorage = { get: async () => undefined } as unknown as StorageDriver;
    const makers = [
      () => pullOp(storage, { pageSize: 0 }),
      () => pullOp(storage, { refreshAfterSec: -1 }),
      () => pullOp(notStorage),
      () => pushOp({ storage: notStorage }),
      () => pushOp({ storage, policy: { allow: 'everyone' } as never }),
      () => verifyOp(notStorage),
      () => peersOp(notStorage),
      () => anchorsOp(notStorage),
      () => syncStateOp(notStorage),
    ];
    for (const make of makers) expect(make, String(make)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });

  it('after stop() nothing is answered, not even requests that were being worked on', async () => {
    const storage = slowStorage(20);
    const { port1, responder, all } = raw({ ops: { anchors: anchorsOp(storage), peers: peersOp(storage) } });
    port1.postMessage(anchorsOf('before-stop'));
    await settle(2);
    responder.stop();
    port1.postMessage(anchorsOf('after-stop'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(all).toEqual([]);
    const transport = postMessageTransport({ target: port1, timeoutMs: 100 });
    expect((await rejection(listPeers(transport))).code).toBe('ERR_TIMEOUT');
  });
});
