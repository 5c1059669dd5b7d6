import { describe, expect, it } from 'vitest';
import {
  addSigner,
  getSignerSecret,
  getSyncState,
  isAnchorSyncError,
  listPackSeqs,
  publishAnchorPack,
  runAnchorSync,
  type AnchorSyncError,
  type CrossOrgPolicy,
  type StorageDriver,
} from '@anchorsync/core';
import { memoryStorage } from '@anchorsync/storage-memory';
import { fetchTransport } from '../src/client.ts';
import { createAnchorHandler, type AnchorHandlerOptions } from '../src/server.ts';
import { makePublisher, NS, pinned, recordingFetch, serveAnchors, wireError } from './helpers.ts';

async function rejection(promise: Promise<unknown>): Promise<AnchorSyncError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isAnchorSyncError(error)) throw new Error(`expected an AnchorSyncError, got ${String(error)}`);
  return error;
}

function post(url: string, body: BodyInit, type = 'application/json', extra: RequestInit = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'Content-Type': type }, body, ...extra });
}

async function relayOf(orgs = 1, options: { policy?: CrossOrgPolicy; maxBodyBytes?: number } = {}) {
  const pub = await makePublisher('org-a', orgs);
  const storage = await pinned(pub);
  const baseUrl = await serveAnchors({ storage, acceptPush: true, ...options });
  return { pub, storage, baseUrl, url: `${baseUrl}/v1/packs/prod/org-a`, transport: fetchTransport({ baseUrl, retries: 0 }) };
}

describe('a relay refuses what it must not store, with a precise status and code', () => {
  it('a pack whose signature does not verify: 400 ERR_PACK_SIGNATURE, nothing stored', async () => {
    const { pub, storage, url, transport } = await relayOf(2);
    const forged = { ...pub.packs[0]!, sig: pub.packs[1]!.sig };
    const res = await post(url, JSON.stringify(forged));
    expect(res.status).toBe(400);
    expect((await wireError(res)).code).toBe('ERR_PACK_SIGNATURE');
    const e = await rejection(transport.push(forged));
    expect(e.code).toBe('ERR_PACK_SIGNATURE');
    expect(e.details).toMatchObject({ status: 400 });
    expect(await listPackSeqs(storage, NS, 'org-a')).toEqual([]);
  });

  it('a pack of an org the relay pinned no key for: 400 ERR_PACK_SIGNATURE', async () => {
    const { baseUrl, transport } = await relayOf();
    const other = await makePublisher('org-b', 1);
    const res = await post(`${baseUrl}/v1/packs/prod/org-b`, JSON.stringify(other.packs[0]));
    expect(res.status).toBe(400);
    expect((await wireError(res)).code).toBe('ERR_PACK_SIGNATURE');
    expect((await rejection(transport.push(other.packs[0]!))).code).toBe('ERR_PACK_SIGNATURE');
  });

  it('a pack posted to another org path than its own: 400 ERR_PACK_SCHEMA', async () => {
    const { pub, baseUrl } = await relayOf();
    const res = await post(`${baseUrl}/v1/packs/prod/org-b`, JSON.stringify(pub.packs[0]));
    expect(res.status).toBe(400);
    expect((await wireError(res)).code).toBe('ERR_PACK_SCHEMA');
  });

  it('an older pack after a newer one: 409 ERR_PACK_ROLLBACK; a second history: 409 ERR_PACK_EQUIVOCATION', async () => {
    const { pub, storage, url, transport } = await relayOf(2);
    await transport.push(pub.packs[0]!);
    await transport.push(pub.packs[1]!);
    const res = await post(url, JSON.stringify(pub.packs[0]));
    expect(res.status).toBe(409);
    expect((await wireError(res)).code).toBe('ERR_PACK_ROLLBACK');
    expect((await rejection(transport.push(pub.packs[0]!))).code).toBe('ERR_PACK_ROLLBACK');

    // The same root key signs a different pack #1 elsewhere: the relay has pack #2 of the first history.
    const fork = memoryStorage();
    await addSigner(fork, { kid: 'root', secretKey: await getSignerSecret(pub.storage, 'root') });
    await addSigner(fork, { kid: 'other' });
    await publishAnchorPack({ storage: fork, ns: NS, orgId: 'org-a' });
    const { pack: fork2 } = await publishAnchorPack({ storage: fork, ns: NS, orgId: 'org-a' });
    const eq = await post(url, JSON.stringify(fork2));
    expect(eq.status).toBe(409);
    expect((await wireError(eq)).code).toBe('ERR_PACK_EQUIVOCATION');
    expect((await getSyncState(storage, NS, 'org-a'))!.seq).toBe(2);
  });

  it('malformed JSON and invalid UTF-8: 400 ERR_PACK_SCHEMA', async () => {
    const { url } = await relayOf();
    const res = await post(url, '{"v":1,');
    expect(res.status).toBe(400);
    expect((await wireError(res)).code).toBe('ERR_PACK_SCHEMA');
    const bad = await post(url, new Uint8Array([0x7b, 0xff, 0x7d]));
    expect(bad.status).toBe(400);
    expect((await wireError(bad)).code).toBe('ERR_PACK_SCHEMA');
  });

  it('a body over maxBodyBytes: 413, by Content-Length and while streaming a chunked body', async () => {
    const { url } = await relayOf(1, { maxBodyBytes: 2048 });
    const declared = await post(url, 'x'.repeat(4096));
    expect(declared.status).toBe(413);
    expect((await wireError(declared)).code).toBe('ERR_PACK_TOO_LARGE');

    const chunks = [new Uint8Array(1500).fill(0x20), new Uint8Array(1500).fill(0x20), new Uint8Array(1500).fill(0x20)];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const streamed = await post(url, stream, 'application/json', { duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
    expect((await wireError(streamed)).code).toBe('ERR_PACK_TOO_LARGE');
  });

  it('the default 8 MiB limit holds against an endless chunked body: 413, and the server stops reading', async () => {
    const { url } = await relayOf();
    const offered = 32 * 1024 * 1024;
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= offered) return controller.close();
        sent += 64 * 1024;
        controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
      },
    });
    const res = await post(url, stream, 'application/json', { duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect(res.headers.get('connection')).toBe('close');
    expect((await wireError(res)).code).toBe('ERR_PACK_TOO_LARGE');
    // The client could only push what fits in socket buffers after the server stopped at 8 MiB.
    expect(sent).toBeLessThan(offered);
    expect((await fetch(`${url}?since=0`)).status).toBe(404);
  });

  it('a body that is not application/json: 415 ERR_UNSUPPORTED_MEDIA_TYPE', async () => {
    const { pub, url } = await relayOf();
    const res = await post(url, JSON.stringify(pub.packs[0]), 'text/plain');
    expect(res.status).toBe(415);
    expect((await wireError(res)).code).toBe('ERR_UNSUPPORTED_MEDIA_TYPE');
  });

  it('a method the route does not take: 405 with Allow; POST to a server that does not relay: 405', async () => {
    const { url } = await relayOf();
    const put = await fetch(url, { method: 'PUT', body: '{}' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, POST, OPTIONS');
    expect((await wireError(put)).code).toBe('ERR_METHOD_NOT_ALLOWED');

    const pub = await makePublisher('org-a', 1);
    const baseUrl = await serveAnchors({ storage: pub.storage });
    const res = await post(`${baseUrl}/v1/packs/prod/org-a`, JSON.stringify(pub.packs[0]));
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, OPTIONS');
    expect((await rejection(fetchTransport({ baseUrl }).push(pub.packs[0]!))).code).toBe('ERR_METHOD_NOT_ALLOWED');
  });

  it('an org with no packs here: 404 ERR_NOT_FOUND, surfaced by sync as a rejection', async () => {
    const pub = await makePublisher('org-a', 1);
    const baseUrl = await serveAnchors({ storage: pub.storage });
    const res = await fetch(`${baseUrl}/v1/packs/prod/org-zz?since=0`);
    expect(res.status).toBe(404);
    expect((await wireError(res)).code).toBe('ERR_NOT_FOUND');
    const [result] = await runAnchorSync({ storage: memoryStorage(), transport: fetchTransport({ baseUrl }), peers: [{ ns: NS, orgId: 'org-zz' }] });
    expect(result).toMatchObject({ ok: false, rejected: { code: 'ERR_NOT_FOUND' } });
    for (const path of ['/v1/packs/prod', '/v1/packs/prod/org-a/x', '/v2/packs/prod/org-a', '/']) {
      const other = await fetch(`${baseUrl}${path}?since=0`);
      expect(other.status).toBe(404);
      expect((await wireError(other)).code).toBe('ERR_NOT_FOUND');
    }
  });

  it('a bad since, token or id: 400 ERR_INVALID_ARGUMENT', async () => {
    const pub = await makePublisher('org-a', 1);
    const baseUrl = await serveAnchors({ storage: pub.storage });
    const queries = ['', '?since=-1', '?since=1.5', '?since=abc', '?since=01', '?since=99999999999999999', '?since=0&token=nope'];
    for (const query of queries) {
      const res = await fetch(`${baseUrl}/v1/packs/prod/org-a${query}`);
      expect(res.status, query).toBe(400);
      expect((await wireError(res)).code).toBe('ERR_INVALID_ARGUMENT');
    }
    for (const id of ['org%20a', 'org%2Fa', '%E0%A4%A', 'a'.repeat(200)]) {
      const res = await fetch(`${baseUrl}/v1/packs/prod/${id}?since=0`);
      expect(res.status, id).toBe(400);
      expect((await wireError(res)).code).toBe('ERR_INVALID_ARGUMENT');
    }
    expect((await rejection(fetchTransport({ baseUrl }).pull({ ns: NS, orgId: 'org a', since: 0 }))).code).toBe('ERR_INVALID_ARGUMENT');
  });

  it('a push over the daily cap: 429 ERR_POLICY_CAP with Retry-After until the UTC day ends, not retried', async () => {
    const { pub, url, baseUrl } = await relayOf(3, { policy: { ops: { apply: { dailyCap: 1 } } } });
    const wire = recordingFetch();
    const transport = fetchTransport({ baseUrl, fetch: wire.fetch, retries: 2, backoffMs: 1 });
    expect(await transport.push(pub.packs[0]!)).toEqual({ stored: true, seq: 1 });
    const res = await post(url, JSON.stringify(pub.packs[1]));
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get('retry-after'));
    const toMidnight = (86_400_000 - (Date.now() % 86_400_000)) / 1000;
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(Math.abs(retryAfter - toMidnight)).toBeLessThan(5);
    expect((await wireError(res)).code).toBe('ERR_POLICY_CAP');

    const before = wire.log.length;
    const e = await rejection(transport.push(pub.packs[1]!));
    expect(e.code).toBe('ERR_POLICY_CAP');
    expect(e.details).toMatchObject({ status: 429 });
    // Asked to wait hours: the client gives up now instead of retrying into the same cap.
    expect(wire.log.length - before).toBe(toMidnight > 30 ? 1 : 3);
  });

  it('a push the policy denies: 403 ERR_POLICY_DENIED', async () => {
    const { pub, url } = await relayOf(1, { policy: { ops: { apply: { allow: ['org-z'] } } } });
    const res = await post(url, JSON.stringify(pub.packs[0]));
    expect(res.status).toBe(403);
    expect((await wireError(res)).code).toBe('ERR_POLICY_DENIED');
  });

  it('an unexpected failure is a generic 500 ERR_INTERNAL: no message, no stack, reported to onError', async () => {
    const seen: unknown[] = [];
    const broken: StorageDriver = {
      get: () => Promise.reject(new Error('db password hunter2 rejected at 10.0.0.7')),
      set: () => Promise.reject(new Error('nope')),
      delete: () => Promise.reject(new Error('nope')),
      list: () => Promise.reject(new TypeError('internal detail')),
    };
    const baseUrl = await serveAnchors({ storage: broken, onError: (e) => seen.push(e) });
    const res = await fetch(`${baseUrl}/v1/packs/prod/org-a?since=0`);
    expect(res.status).toBe(500);
    const text = await res.clone().text();
    expect(text).not.toMatch(/hunter2|10\.0\.0\.7|storage/);
    expect(await wireError(res)).toEqual({ code: 'ERR_INTERNAL', message: 'internal error' });
    expect(seen).toHaveLength(1);
    const e = await rejection(fetchTransport({ baseUrl, retries: 1, backoffMs: 1 }).pull({ ns: NS, orgId: 'org-a', since: 0 }));
    expect(e.code).toBe('ERR_INTERNAL');
    expect(seen).toHaveLength(3);
  });

  it('unusable handler options are refused at creation, not answered to clients', () => {
    const storage = memoryStorage();
    const bad: unknown[] = [
      { storage: undefined },
      { storage, refreshAfterSec: -1 },
      { storage, refreshAfterSec: 1.5 },
      { storage, pageSize: 0 },
      { storage, pageSize: 1000 },
      { storage, maxBodyBytes: 0 },
      { storage, basePath: 'anchors' },
      { storage, basePath: '/a b' },
      { storage, policy: { ops: { apply: { dailyCap: -1 } } } },
      { storage, policy: { bogus: true } },
    ];
    for (const options of bad) {
      let error: unknown;
      try {
        createAnchorHandler(options as AnchorHandlerOptions);
      } catch (e) {
        error = e;
      }
      expect(isAnchorSyncError(error, 'ERR_INVALID_ARGUMENT'), JSON.stringify(options)).toBe(true);
    }
  });
});
