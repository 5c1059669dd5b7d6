import { describe, expect, it } from 'vitest';
import { getAnchors, getSyncState, runAnchorSync } from '@anchorsync/core';
import { fetchTransport } from '../src/client.ts';
import { makePublisher, NS, pinned, recordingFetch, serveAnchors } from './helpers.ts';

describe('sync over HTTP (real node:http server, real fetch)', () => {
  it('a new client receives the full set and verifies it against its pinned key', async () => {
    const pub = await makePublisher('org-a', 1);
    await pub.publish();
    const baseUrl = await serveAnchors({ storage: pub.storage });
    const client = await pinned(pub);
    const [result] = await runAnchorSync({ storage: client, transport: fetchTransport({ baseUrl }), peers: [{ ns: NS, orgId: 'org-a' }] });
    expect(result).toMatchObject({ ok: true, fromSeq: 0, toSeq: 2, packsApplied: 2, added: 2 });
    expect((await getAnchors(client, NS, 'org-a')).map((a) => a.kid)).toEqual(['k1', 'root']);
  });

  it('a client that is behind receives only the packs after its seq', async () => {
    const pub = await makePublisher('org-a', 1);
    const baseUrl = await serveAnchors({ storage: pub.storage });
    const client = await pinned(pub);
    const wire = recordingFetch();
    const transport = fetchTransport({ baseUrl, fetch: wire.fetch });
    await runAnchorSync({ storage: client, transport, peers: [{ ns: NS, orgId: 'org-a' }] });

    await pub.publish();
    const [delta] = await runAnchorSync({ storage: client, transport, peers: [{ ns: NS, orgId: 'org-a' }], force: true });
    expect(delta).toMatchObject({ ok: true, fromSeq: 1, toSeq: 2, packsApplied: 1, added: 1 });
    const last = wire.log[wire.log.length - 1]!;
    expect(new URL(last.url).searchParams.get('since')).toBe('1');
    expect(last.status).toBe(200);
    // Only the new pack crossed the wire, and it carries only the new signer.
    const body = JSON.parse(last.body) as { packs: { seq: number; anchors: { kid: string }[] }[] };
    expect(body.packs.map((p) => [p.seq, p.anchors.map((a) => a.kid)])).toEqual([[2, ['k1']]]);
    expect((await getAnchors(client, NS, 'org-a')).map((a) => a.kid)).toEqual(['k1', 'root']);
  });

  it('an up-to-date client costs one request, a 304 and zero body bytes, and learns the refresh hint', async () => {
    const pub = await makePublisher('org-a', 2);
    const baseUrl = await serveAnchors({ storage: pub.storage, refreshAfterSec: 120 });
    const client = await pinned(pub);
    const wire = recordingFetch();
    const transport = fetchTransport({ baseUrl, fetch: wire.fetch });
    await runAnchorSync({ storage: client, transport, peers: [{ ns: NS, orgId: 'org-a' }] });
    expect(wire.log[0]!.bodyBytes).toBeGreaterThan(0);
    const firstCount = wire.log.length;

    const before = Date.now();
    const [again] = await runAnchorSync({ storage: client, transport, peers: [{ ns: NS, orgId: 'org-a' }], force: true });
    const second = wire.log.slice(firstCount);
    expect(second).toHaveLength(1);
    expect(second[0]!.status).toBe(304);
    expect(second[0]!.bodyBytes).toBe(0);
    const state = await getSyncState(client, NS, 'org-a');
    expect(second[0]!.requestHeaders.get('if-none-match')).toBe(`"2.${state!.hash}"`);
    expect(again).toMatchObject({ ok: true, fromSeq: 2, toSeq: 2, pages: 1, packsApplied: 0 });
    const next = Date.parse(state!.nextSyncAt!);
    expect(next).toBeGreaterThanOrEqual(before + 120_000 - 1000);
    expect(next).toBeLessThanOrEqual(Date.now() + 120_000 + 1000);

    // The same at the transport level, and the 200 carries the ETag a 304 is computed from.
    const page = await transport.pull({ ns: NS, orgId: 'org-a', since: 2, sinceHash: state!.hash });
    expect(page).toEqual({ packs: [], notModified: true, refreshAfterSec: 120 });
    const res = await fetch(`${baseUrl}/v1/packs/prod/org-a?since=0`);
    expect(res.headers.get('etag')).toBe(`"2.${state!.hash}"`);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('anchorsync-refresh-after')).toBe('120');
  });

  it('a tag for another seq, or a wrong hash, never yields a 304', async () => {
    const pub = await makePublisher('org-a', 2);
    const baseUrl = await serveAnchors({ storage: pub.storage });
    const state = await getSyncState(pub.storage, NS, 'org-a');
    const url = `${baseUrl}/v1/packs/prod/org-a`;
    expect((await fetch(`${url}?since=2`, { headers: { 'If-None-Match': `"2.${state!.hash}"` } })).status).toBe(304);
    expect((await fetch(`${url}?since=2`, { headers: { 'If-None-Match': `W/"2.${state!.hash}"` } })).status).toBe(304);
    expect((await fetch(`${url}?since=1`, { headers: { 'If-None-Match': `"2.${state!.hash}"` } })).status).toBe(200);
    expect((await fetch(`${url}?since=2`, { headers: { 'If-None-Match': '"2.AAAA"' } })).status).toBe(200);
    // A cache may send a list: the head's own tag anywhere in it (weak or strong) matches, and nothing else does.
    expect((await fetch(`${url}?since=2`, { headers: { 'If-None-Match': `"1.AAAA", W/"2.${state!.hash}" ,"x"` } })).status).toBe(304);
    expect((await fetch(`${url}?since=2`, { headers: { 'If-None-Match': `"1.AAAA", "2.${state!.hash}x"` } })).status).toBe(200);
    // A header past 4 KiB is not read at all: at worst the client gets the (small) page again.
    expect((await fetch(`${url}?since=2`, { headers: { 'If-None-Match': `${'"1.AAAA", '.repeat(410)}"2.${state!.hash}"` } })).status).toBe(200);
  });

  it('a log longer than a page arrives over many pages, in order, with every pack verified', async () => {
    const pub = await makePublisher('org-a', 6);
    const baseUrl = await serveAnchors({ storage: pub.storage, pageSize: 1 });
    const client = await pinned(pub);
    const wire = recordingFetch();
    const [result] = await runAnchorSync({
      storage: client,
      transport: fetchTransport({ baseUrl, fetch: wire.fetch }),
      peers: [{ ns: NS, orgId: 'org-a' }],
    });
    expect(result).toMatchObject({ ok: true, toSeq: 6, packsApplied: 6, pages: 6 });
    expect(wire.log.length).toBe(6);
    expect(wire.log.filter((e) => new URL(e.url).searchParams.has('token')).length).toBe(5);
    expect((await getAnchors(client, NS, 'org-a')).map((a) => a.kid)).toEqual(['k1', 'k2', 'k3', 'k4', 'k5', 'root']);
  });

  it('a relay stores a pushed pack signed by a key it pinned, and serves it on to clients', async () => {
    const pub = await makePublisher('org-a', 1);
    const relayStorage = await pinned(pub);
    const baseUrl = await serveAnchors({ storage: relayStorage, acceptPush: true, basePath: '/anchors' });
    const relay = fetchTransport({ baseUrl: `${baseUrl}/anchors/` });
    expect(await relay.push(pub.packs[0]!)).toEqual({ stored: true, seq: 1 });
    expect(await relay.push(pub.packs[0]!)).toEqual({ stored: false, seq: 1 });
    const raw = await fetch(`${baseUrl}/anchors/v1/packs/prod/org-a`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body: JSON.stringify(await pub.publish()),
    });
    expect(raw.status).toBe(201);
    expect(await raw.json()).toEqual({ stored: true, seq: 2 });

    const client = await pinned(pub);
    const [result] = await runAnchorSync({ storage: client, transport: relay, peers: [{ ns: NS, orgId: 'org-a' }] });
    expect(result).toMatchObject({ ok: true, toSeq: 2, packsApplied: 2 });
    expect((await getAnchors(client, NS, 'org-a')).map((a) => a.kid)).toEqual(['k1', 'root']);
  });
});
