import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isAnchorSyncError, runAnchorSync, type AnchorSyncError } from '@anchorsync/core';
import { memoryStorage } from '@anchorsync/storage-memory';
import { fetchTransport } from '../src/client.ts';
import { createAnchorHandler } from '../src/server.ts';
import { makePublisher, NS, onCleanup, pinned, serveHandler } from './helpers.ts';

async function rejection(promise: Promise<unknown>): Promise<AnchorSyncError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isAnchorSyncError(error)) throw new Error(`expected an AnchorSyncError, got ${String(error)}`);
  return error;
}

/** A raw node:http server with full control of every answer. */
async function rawServer(listener: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => new Promise((resolve) => (server.close(() => resolve()), server.closeAllConnections())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const pullOrgA = { ns: NS, orgId: 'org-a', since: 0 };

describe('fetchTransport: timeouts, aborts and retries', () => {
  it('a server that never answers fails with ERR_TIMEOUT after timeoutMs', async () => {
    let requests = 0;
    const baseUrl = await rawServer(() => void requests++);
    const started = Date.now();
    const e = await rejection(fetchTransport({ baseUrl, timeoutMs: 300, retries: 0 }).pull(pullOrgA));
    const took = Date.now() - started;
    expect(e.code).toBe('ERR_TIMEOUT');
    expect(e.details).toMatchObject({ timeoutMs: 300 });
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(2_000);
    expect(requests).toBe(1);
  });

  it('a timeout is retried like a network error: retries + 1 attempts', async () => {
    let requests = 0;
    const baseUrl = await rawServer(() => void requests++);
    const e = await rejection(fetchTransport({ baseUrl, timeoutMs: 150, retries: 2, backoffMs: 1 }).pull(pullOrgA));
    expect(e.code).toBe('ERR_TIMEOUT');
    expect(requests).toBe(3);
  });

  it('a body that stalls half way counts against the timeout too', async () => {
    const baseUrl = await rawServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"packs":[');
    });
    expect((await rejection(fetchTransport({ baseUrl, timeoutMs: 300, retries: 0 }).pull(pullOrgA))).code).toBe('ERR_TIMEOUT');
  });

  it("the caller's AbortSignal aborts at once with ERR_ABORTED, also between retries", async () => {
    let requests = 0;
    const baseUrl = await rawServer(() => void requests++);
    const transport = fetchTransport({ baseUrl, timeoutMs: 10_000, retries: 5 });
    const started = Date.now();
    const e = await rejection(transport.pull({ ...pullOrgA, signal: AbortSignal.timeout(200) }));
    expect(e.code).toBe('ERR_ABORTED');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(requests).toBe(1);

    const already = new AbortController();
    already.abort();
    expect((await rejection(transport.pull({ ...pullOrgA, signal: already.signal }))).code).toBe('ERR_ABORTED');

    const failing = await rawServer((_req, res) => res.writeHead(503).end());
    const slow = fetchTransport({ baseUrl: failing, retries: 5, backoffMs: 5_000, random: () => 0.99 });
    const during = Date.now();
    expect((await rejection(slow.pull({ ...pullOrgA, signal: AbortSignal.timeout(300) }))).code).toBe('ERR_ABORTED');
    expect(Date.now() - during).toBeLessThan(2_000);
  });

  it('a sync aborted through its signal reports ERR_ABORTED', async () => {
    const baseUrl = await rawServer(() => undefined);
    const [result] = await runAnchorSync({
      storage: memoryStorage(),
      transport: fetchTransport({ baseUrl }),
      peers: [{ ns: NS, orgId: 'org-a' }],
      signal: AbortSignal.timeout(200),
    });
    expect(result).toMatchObject({ ok: false, rejected: { code: 'ERR_ABORTED' } });
  });

  it('a 503 followed by a 200 succeeds on the retry', async () => {
    const pub = await makePublisher('org-a', 1);
    const handler = createAnchorHandler({ storage: pub.storage });
    let requests = 0;
    const baseUrl = await serveHandler(async (req) => (++requests === 1 ? new Response('busy', { status: 503 }) : handler(req)));
    const client = await pinned(pub);
    const [result] = await runAnchorSync({ storage: client, transport: fetchTransport({ baseUrl, backoffMs: 10 }), peers: [{ ns: NS, orgId: 'org-a' }] });
    expect(result).toMatchObject({ ok: true, toSeq: 1, packsApplied: 1 });
    expect(requests).toBe(2);
  });

  it('a 503 with Retry-After: 1 waits about a second, not the (zero) jittered backoff', async () => {
    const pub = await makePublisher('org-a', 1);
    const handler = createAnchorHandler({ storage: pub.storage });
    const times: number[] = [];
    const baseUrl = await serveHandler(async (req) => {
      times.push(Date.now());
      return times.length === 1 ? new Response(null, { status: 503, headers: { 'Retry-After': '1' } }) : handler(req);
    });
    const page = await fetchTransport({ baseUrl, random: () => 0 }).pull(pullOrgA);
    expect(page.packs).toHaveLength(1);
    expect(times).toHaveLength(2);
    const waited = times[1]! - times[0]!;
    expect(waited).toBeGreaterThanOrEqual(950);
    expect(waited).toBeLessThan(2_500);
  });

  it('a 429 with an HTTP-date Retry-After is honoured; one asking for longer than the cap is not retried', async () => {
    let requests = 0;
    const soon = await rawServer((_req, res) => {
      requests++;
      // HTTP dates have whole seconds: two seconds ahead is between one and two seconds of waiting.
      const at = new Date(Date.now() + 2_000).toUTCString();
      if (requests === 1) res.writeHead(429, { 'Retry-After': at }).end();
      else res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"packs":[]}');
    });
    const started = Date.now();
    expect(await fetchTransport({ baseUrl: soon, random: () => 0 }).pull(pullOrgA)).toEqual({ packs: [] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(requests).toBe(2);

    let later = 0;
    const far = await rawServer((_req, res) => {
      later++;
      res.writeHead(503, { 'Retry-After': '120' }).end();
    });
    const e = await rejection(fetchTransport({ baseUrl: far, retries: 3 }).pull(pullOrgA));
    expect(e.code).toBe('ERR_TRANSPORT');
    expect(e.details).toMatchObject({ status: 503, retryAfterSec: 120 });
    expect(later).toBe(1);
  });

  it('a 400 is never retried, and its server code comes through', async () => {
    let requests = 0;
    const baseUrl = await rawServer((_req, res) => {
      requests++;
      res.writeHead(400, { 'Content-Type': 'application/json' }).end('{"error":{"code":"ERR_PACK_SIGNATURE","message":"bad\\nsig"}}');
    });
    const e = await rejection(fetchTransport({ baseUrl, retries: 3, backoffMs: 1 }).pull(pullOrgA));
    expect(e.code).toBe('ERR_PACK_SIGNATURE');
    expect(e.message).not.toContain('\n');
    expect(e.details).toMatchObject({ status: 400 });
    expect(requests).toBe(1);
  });

  it('network errors are retried and end as ERR_TRANSPORT', async () => {
    let requests = 0;
    const baseUrl = await rawServer((req) => {
      requests++;
      req.socket.destroy();
    });
    const e = await rejection(fetchTransport({ baseUrl, retries: 2, backoffMs: 1 }).pull(pullOrgA));
    expect(e.code).toBe('ERR_TRANSPORT');
    expect(requests).toBe(3);
  });
});

describe('fetchTransport: the server is untrusted', () => {
  async function answering(status: number, body: string, headers: Record<string, string> = { 'Content-Type': 'application/json' }) {
    return rawServer((_req, res) => res.writeHead(status, headers).end(body));
  }

  it('a code the protocol does not define, or a non-JSON error, becomes ERR_TRANSPORT with the status', async () => {
    for (const [status, body] of [
      [418, '{"error":{"code":"ERR_MADE_UP","message":"x"}}'],
      [403, '{"error":{"code":"ERR_STORAGE","message":"x"}}'],
      [404, '<html>not found</html>'],
      [409, '{"error":{"code":"toString"}}'],
    ] as const) {
      const e = await rejection(fetchTransport({ baseUrl: await answering(status, body), retries: 0 }).pull(pullOrgA));
      expect(e.code, body).toBe('ERR_TRANSPORT');
      expect(e.details).toMatchObject({ status });
    }
  });

  it('a page that is not a page, invalid JSON, or an unasked 304 is ERR_TRANSPORT', async () => {
    for (const body of ['{"packs":{}}', '[]', 'null', '{"packs":[],"next":5}', '{"packs":[', '\u00ff']) {
      const e = await rejection(fetchTransport({ baseUrl: await answering(200, body), retries: 0 }).pull(pullOrgA));
      expect(e.code, body).toBe('ERR_TRANSPORT');
    }
    expect((await rejection(fetchTransport({ baseUrl: await answering(304, '', {}), retries: 0 }).pull(pullOrgA))).code).toBe('ERR_TRANSPORT');
  });

  it('a response larger than maxResponseBytes is cut off', async () => {
    const big = `{"packs":[${'"x",'.repeat(10_000)}"x"]}`;
    const baseUrl = await answering(200, big);
    const e = await rejection(fetchTransport({ baseUrl, retries: 0, maxResponseBytes: 4096 }).pull(pullOrgA));
    expect(e.code).toBe('ERR_TRANSPORT');
    expect(e.details).toMatchObject({ limit: 4096 });
    expect((await fetchTransport({ baseUrl, retries: 0 }).pull(pullOrgA)).packs).toHaveLength(10_001);
  });

  it('an out-of-range refresh hint is dropped, not passed to the engine', async () => {
    const baseUrl = await answering(200, '{"packs":[]}', { 'Content-Type': 'application/json', 'Anchorsync-Refresh-After': '999999999' });
    expect(await fetchTransport({ baseUrl }).pull(pullOrgA)).toEqual({ packs: [] });
  });

  it('requests go to {baseUrl}/v1/packs/{ns}/{orgId} with ids encoded and since as a query', async () => {
    const seen: string[] = [];
    const baseUrl = await rawServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"packs":[],"next":"t"}');
    });
    const page = await fetchTransport({ baseUrl: `${baseUrl}//relay/` }).pull({ ns: 'prod', orgId: 'org+a@x', since: 7, token: 'p1.Nw' });
    expect(page).toEqual({ packs: [], next: 't' });
    expect(seen).toEqual(['GET /relay/v1/packs/prod/org%2Ba%40x?since=7&token=p1.Nw']);
  });

  it('unusable options are refused at creation', () => {
    for (const options of [
      { baseUrl: 'ftp://x' },
      { baseUrl: 'not a url' },
      { baseUrl: 'https://x/?q=1' },
      { baseUrl: 'https://x', timeoutMs: 0 },
      { baseUrl: 'https://x', retries: -1 },
      { baseUrl: 'https://x', retries: 1.5 },
    ]) {
      let error: unknown;
      try {
        fetchTransport(options);
      } catch (e) {
        error = e;
      }
      expect(isAnchorSyncError(error, 'ERR_INVALID_ARGUMENT'), JSON.stringify(options)).toBe(true);
    }
  });
});
