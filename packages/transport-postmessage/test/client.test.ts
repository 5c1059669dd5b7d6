import { describe, expect, it } from 'vitest';
import { postMessageTransport, type PostMessageTransportOptions } from '../src/client.ts';
import { getPeerAnchors, listPeers, verifyMessage } from '../src/reads.ts';
import { channel, NS, rejection, settle } from './helpers.ts';

const pullA = { ns: NS, orgId: 'org-a', since: 0 };

/**
 * A client on port1 and, on port2, a hand-written responder: `answer`
 * decides what (if anything) to post back for each request it receives.
 */
function scripted(answer: (request: Record<string, unknown>, post: (m: unknown) => void) => void, options: Partial<PostMessageTransportOptions> = {}) {
  const { port1, port2 } = channel();
  const requests: Record<string, unknown>[] = [];
  port2.addEventListener('message', (e) => {
    const request = e.data as Record<string, unknown>;
    requests.push(request);
    answer(request, (m) => port2.postMessage(m));
  });
  port2.start();
  return { transport: postMessageTransport({ target: port1, ...options }), requests, port2 };
}

const silent = () => undefined;
const ok = (request: Record<string, unknown>, result: unknown) => ({ anchorsync: 1, id: request.id, ok: true, result });

describe('postMessageTransport: timeouts, aborts, bounds', () => {
  it('a responder that never answers fails the request with ERR_TIMEOUT after timeoutMs, and frees it', async () => {
    const { transport, requests } = scripted(silent, { timeoutMs: 150 });
    const started = Date.now();
    const e = await rejection(transport.pull(pullA));
    expect(e.code).toBe('ERR_TIMEOUT');
    expect(e.details).toEqual({ timeoutMs: 150 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(requests).toHaveLength(1);
    expect(transport.inFlight).toBe(0);
  });

  it('a reply arriving after the timeout is ignored; the next request still works', async () => {
    let late: (() => void) | undefined;
    const { transport } = scripted(
      (request, post) => {
        if (request.since === 0) late = () => post(ok(request, { packs: [] }));
        else post(ok(request, { packs: [], notModified: true }));
      },
      { timeoutMs: 100 },
    );
    expect((await rejection(transport.pull(pullA))).code).toBe('ERR_TIMEOUT');
    late!();
    await settle();
    expect(await transport.pull({ ...pullA, since: 1, sinceHash: 'AAAA' })).toEqual({ packs: [], notModified: true });
  });

  it("the caller's AbortSignal fails a waiting request at once with ERR_ABORTED and frees it", async () => {
    const { transport } = scripted(silent);
    const controller = new AbortController();
    const pending = transport.pull({ ...pullA, signal: controller.signal });
    await settle(1);
    expect(transport.inFlight).toBe(1);
    const started = Date.now();
    controller.abort(new Error('user left the page'));
    const e = await rejection(pending);
    expect(e.code).toBe('ERR_ABORTED');
    expect(Date.now() - started).toBeLessThan(100);
    expect(transport.inFlight).toBe(0);
  });

  it('an already aborted signal fails at once and posts nothing', async () => {
    const { transport, requests } = scripted(silent);
    expect((await rejection(transport.request('anchors', { ns: NS, orgId: 'org-a' }, { signal: AbortSignal.abort() }))).code).toBe('ERR_ABORTED');
    await settle();
    expect(requests).toHaveLength(0);
  });

  it('close() fails every waiting request with ERR_ABORTED, and refuses new ones without posting them', async () => {
    const { transport, requests } = scripted(silent);
    const waiting = [transport.pull(pullA), transport.request('anchors', { ns: NS, orgId: 'org-a' }), listPeers(transport)];
    await settle();
    transport.close();
    for (const p of waiting) expect((await rejection(p)).code).toBe('ERR_ABORTED');
    expect(transport.inFlight).toBe(0);
    expect((await rejection(transport.pull(pullA))).code).toBe('ERR_ABORTED');
    expect((await rejection(listPeers(transport))).code).toBe('ERR_ABORTED');
    await settle();
    expect(requests).toHaveLength(3);
  });

  it('at most maxInFlight requests wait at once: the next fails with ERR_TRANSPORT and is not posted', async () => {
    const { transport, requests } = scripted(silent, { timeoutMs: 60_000 });
    const waiting = Array.from({ length: 64 }, (_, i) => transport.pull({ ...pullA, since: i }));
    const e = await rejection(transport.pull(pullA));
    expect(e.code).toBe('ERR_TRANSPORT');
    expect(e.message).toBe('too many requests in flight');
    await settle();
    expect(requests).toHaveLength(64);
    expect(transport.inFlight).toBe(64);
    transport.close();
    await Promise.allSettled(waiting);
    expect(transport.inFlight).toBe(0);
  });

  it('request ids are unique, well-formed, and differ between two clients', async () => {
    const a = scripted(silent, { timeoutMs: 60_000, maxInFlight: 500 });
    const b = scripted(silent, { timeoutMs: 60_000, maxInFlight: 500 });
    const waiting = [];
    for (let i = 0; i < 300; i++) waiting.push(a.transport.pull(pullA), b.transport.pull(pullA));
    await settle();
    const ids = [...a.requests, ...b.requests].map((r) => r.id as string);
    expect(ids).toHaveLength(600);
    expect(new Set(ids).size).toBe(600);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{12}\.[0-9a-z]+$/);
    expect(new Set(ids.map((id) => id.split('.')[0])).size).toBe(2);
    a.transport.close();
    b.transport.close();
    await Promise.allSettled(waiting);
  });
});

describe('postMessageTransport: every reply is schema-checked', () => {
  it('messages that are not ours, or answer no waiting id, are ignored; the real reply still resolves', async () => {
    const { transport } = scripted((request, post) => {
      for (const noise of ['hello', 42, null, [1], { foo: 1 }, { anchorsync: 2, id: request.id }, { anchorsync: 1, id: 'someone-else.1', ok: true, result: {} }]) post(noise);
      post(ok(request, { packs: [] }));
    });
    expect(await transport.pull(pullA)).toEqual({ packs: [] });
    expect(transport.inFlight).toBe(0);
  });

  const refusedReplies: [string, (request: Record<string, unknown>) => unknown][] = [
    ['a page whose packs is not an array', (r) => ok(r, { packs: 'x' })],
    ['a page with an unknown member', (r) => ok(r, { packs: [], admin: true })],
    ['a page of more than 64 packs', (r) => ok(r, { packs: Array.from({ length: 65 }, () => ({})) })],
    ['a not-modified page that carries packs', (r) => ok(r, { packs: [{}], notModified: true })],
    ['a negative refresh hint', (r) => ok(r, { packs: [], refreshAfterSec: -1 })],
    ['a reply with both result and error', (r) => ({ ...ok(r, { packs: [] }), error: { code: 'ERR_INTERNAL', message: 'x' } })],
    ['a reply with an unknown member', (r) => ({ ...ok(r, { packs: [] }), extra: 1 })],
    ['a reply whose ok is not a boolean', (r) => ({ anchorsync: 1, id: r.id, ok: 'yes', result: { packs: [] } })],
    ['an error with an unknown code', (r) => ({ anchorsync: 1, id: r.id, ok: false, error: { code: 'ERR_EVIL', message: 'x' } })],
    ['an error with a code internal to the responder', (r) => ({ anchorsync: 1, id: r.id, ok: false, error: { code: 'ERR_STORAGE', message: 'db at 10.0.0.5' } })],
    ['a reply holding a Date (not plain JSON)', (r) => ok(r, { packs: [], next: new Date() })],
  ];
  for (const [what, reply] of refusedReplies) {
    it(`${what} fails its request with ERR_TRANSPORT`, async () => {
      const { transport } = scripted((request, post) => post(reply(request)));
      const e = await rejection(transport.pull(pullA));
      expect(e.code).toBe('ERR_TRANSPORT');
      expect(e.message).not.toContain('10.0.0.5');
      expect(transport.inFlight).toBe(0);
    });
  }

  it('a reply larger than maxReplyBytes is refused with ERR_TRANSPORT', async () => {
    const { transport } = scripted((request, post) => post(ok(request, { packs: [{ blob: 'x'.repeat(5_000) }] })), { maxReplyBytes: 4_096 });
    const e = await rejection(transport.pull(pullA));
    expect(e.code).toBe('ERR_TRANSPORT');
    expect(e.message).toContain('4096');
  });

  it("a responder's error code and message are passed on, bounded to one line of 500 characters", async () => {
    const message = `line one\nline two\u2028${'x'.repeat(2_000)}`;
    const { transport } = scripted((request, post) => post({ anchorsync: 1, id: request.id, ok: false, error: { code: 'ERR_PACK_ROLLBACK', message } }));
    const e = await rejection(transport.pull(pullA));
    expect(e.code).toBe('ERR_PACK_ROLLBACK');
    expect(e.message.startsWith('responder: line one line two ')).toBe(true);
    expect(e.message.length).toBeLessThanOrEqual('responder: '.length + 500);
  });

  it('a verdict about another key, or an anchor list of another org, is refused', async () => {
    const anchor = { orgId: 'org-a', kid: 'k2', pubB64u: 'A'.repeat(43), status: 'ACTIVE', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' };
    const { transport } = scripted((request, post) =>
      post(ok(request, request.op === 'verify' ? { ok: true, anchor } : { anchors: [{ ...anchor, orgId: 'org-b' }] })),
    );
    const verdict = verifyMessage(transport, { ns: NS, orgId: 'org-a', kid: 'k1', message: 'm', signature: 'AAAA' });
    expect((await rejection(verdict)).code).toBe('ERR_TRANSPORT');
    expect((await rejection(getPeerAnchors(transport, NS, 'org-a'))).code).toBe('ERR_TRANSPORT');
  });

  it('request() posts the op and its members under its own envelope (undefined members left out) and returns the plain result', async () => {
    const { transport, requests } = scripted((request, post) => post(ok(request, { any: ['json', 1, null] })));
    const members = { value: 1, missing: undefined, anchorsync: 2, id: 'forged.1', op: 'pull' };
    expect(await transport.request('x-echo', members)).toEqual({ any: ['json', 1, null] });
    expect(requests).toHaveLength(1);
    expect(requests[0]).toEqual({ anchorsync: 1, id: expect.stringMatching(/^[A-Za-z0-9_-]{12}\.1$/) as unknown, op: 'x-echo', value: 1 });
  });

  it('two clients sharing one port each take only the replies to their own ids', async () => {
    const { port1, port2 } = channel();
    port2.addEventListener('message', (e) => {
      const r = e.data as Record<string, unknown>;
      port2.postMessage(ok(r, { packs: [], refreshAfterSec: r.since as number }));
    });
    port2.start();
    const a = postMessageTransport({ target: port1 });
    const b = postMessageTransport({ target: port1 });
    const results = await Promise.all([a.pull({ ...pullA, since: 1 }), b.pull({ ...pullA, since: 2 }), a.pull({ ...pullA, since: 3 }), b.pull({ ...pullA, since: 4 })]);
    expect(results.map((p) => p.refreshAfterSec)).toEqual([1, 2, 3, 4]);
  });
});
