/**
 * A Cloudflare Worker for one organisation's anchors, all state in one KV
 * namespace (`ANCHORS`):
 * - `fetch` serves the organisation's pack log to its peers
 *   (`GET /v1/packs/<ns>/<orgId>`), and takes new packs from its offline
 *   publisher (`anchorsync publish --push <worker url>`): a pushed pack is
 *   stored only if a key pinned in `ORG` signed it, so no secret key ever
 *   reaches the edge;
 * - `scheduled` (the cron trigger) syncs every peer in `PEERS` into KV,
 *   verified against the keys pinned for it.
 */
import { runAnchorSync, type SyncResult } from '@anchorsync/core';
import { kvStorage, type KVNamespaceLike } from '@anchorsync/storage-cloudflare-kv';
import { fetchTransport } from '@anchorsync/transport-fetch/client';
import { PACKS_PATH } from '@anchorsync/transport-fetch/protocol';
import { createAnchorHandler } from '@anchorsync/transport-fetch/server';
import { readOrg, readPeers, syncPins } from './config.ts';

export interface Env {
  ANCHORS: KVNamespaceLike;
  /** `{ "ns", "orgId", "pins": [{ "kid", "pubB64u" }] }`, JSON text or a table. */
  ORG: unknown;
  /** `[{ "ns", "orgId", "baseUrl", "pins": [...] }]`, JSON text or an array. */
  PEERS?: unknown;
}

/** Pulls every configured peer into KV; one result per peer. */
export async function syncPeers(env: Env): Promise<SyncResult[]> {
  const storage = kvStorage(env.ANCHORS);
  const peers = readPeers(env.PEERS, readOrg(env.ORG));
  for (const peer of peers) await syncPins(storage, peer);
  const baseUrls = new Map(peers.map((p) => [`${p.ns}/${p.orgId}`, p.baseUrl]));
  return runAnchorSync({
    storage,
    peers: peers.map(({ ns, orgId }) => ({ ns, orgId })),
    transport: (peer) => fetchTransport({ baseUrl: baseUrls.get(`${peer.ns}/${peer.orgId}`)!, timeoutMs: 10_000 }),
    // The cron schedule is the polling interval; an unchanged peer costs one 304.
    force: true,
    audit: (event) => console.log(JSON.stringify(event)),
  });
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    try {
      const org = readOrg(env.ORG);
      // Only this organisation's own log is served and accepted here.
      const own = `${PACKS_PATH}/${encodeURIComponent(org.ns)}/${encodeURIComponent(org.orgId)}`;
      if (new URL(request.url).pathname !== own) return Response.json({ error: { code: 'ERR_NOT_FOUND', message: 'no such route' } }, { status: 404 });
      const storage = kvStorage(env.ANCHORS);
      if (request.method === 'POST') await syncPins(storage, org);
      return await createAnchorHandler({ storage, acceptPush: true, onError: (e) => console.error(e) })(request);
    } catch (error) {
      console.error(error);
      return Response.json({ error: { code: 'ERR_INTERNAL', message: 'internal error' } }, { status: 500 });
    }
  },

  async scheduled(_controller: unknown, env: Env): Promise<void> {
    const failed = (await syncPeers(env)).filter((r) => !r.ok);
    // A failed peer marks the cron run as failed in the dashboard; the others were still synced.
    if (failed.length > 0) throw new Error(`sync failed for ${failed.map((r) => `${r.orgId} (${r.rejected?.code})`).join(', ')}`);
  },
};
