import { readFileSync } from 'node:fs';
import {
  addSigner,
  canonicalJson,
  ed25519Sign,
  getAnchors,
  getSignerSecret,
  getSyncState,
  isAnchorSyncError,
  pinTrustAnchor,
  publishAnchorPack,
  pushAnchorPack,
  revokeSigner,
  runAnchorSync,
  utf8,
  verifyPeerMessage,
  type StorageDriver,
} from '@anchorsync/core';
import { memoryStorage } from '@anchorsync/storage-memory';
import { fetchTransport } from '@anchorsync/transport-fetch/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWorker, NS, startFederation, type Federation } from '../src/local.ts';

async function snapshot(storage: StorageDriver): Promise<string> {
  const out: Record<string, unknown> = {};
  for (const key of await storage.list('')) out[key] = await storage.get(key);
  return canonicalJson(out);
}

const statuses = async (storage: StorageDriver, orgId: string) => (await getAnchors(storage, NS, orgId)).map((a) => `${a.kid} ${a.status}`);

describe('Cloudflare Worker example, in workerd (miniflare)', () => {
  let fed: Federation;
  const logs: string[] = [];
  beforeAll(async () => {
    fed = await startFederation({ onLog: ({ message }) => void logs.push(message) });
  }, 60_000);
  afterAll(() => fed?.dispose());

  it('bundles for workerd without any node: import (no nodejs_compat)', async () => {
    expect(await bundleWorker()).not.toMatch(/from ["']node:/);
  });

  it("GET serves the organisation's pack from KV; a client that pinned its root verifies it, one pinning another key refuses it", async () => {
    const { a } = fed;
    const transport = fetchTransport({ baseUrl: a.url, fetch: a.fetch, retries: 0 });
    const client = memoryStorage();
    await pinTrustAnchor(client, { ns: NS, orgId: a.orgId, kid: a.root.kid, pubB64u: a.root.pubB64u });
    const [result] = await runAnchorSync({ storage: client, transport, peers: [{ ns: NS, orgId: a.orgId }] });
    expect(result).toMatchObject({ ok: true, toSeq: 1, added: 2 });
    expect(await statuses(client, a.orgId)).toEqual(['org-a-chat ACTIVE', 'org-a-root ACTIVE']);

    const stranger = memoryStorage();
    const other = await addSigner(memoryStorage(), { kid: 'other' });
    await pinTrustAnchor(stranger, { ns: NS, orgId: a.orgId, kid: a.root.kid, pubB64u: other.pubB64u });
    const [refused] = await runAnchorSync({ storage: stranger, transport, peers: [{ ns: NS, orgId: a.orgId }] });
    expect(refused).toMatchObject({ ok: false, rejected: { code: 'ERR_PACK_SIGNATURE' } });
  });

  it("the cron handler syncs peer B into A's KV, verified against B's pinned root, and audits it in the Worker log", async () => {
    const { a, b } = fed;
    expect(await a.cron()).toMatchObject({ outcome: 'ok' });
    const kv = await a.kv();
    expect(await statuses(kv, b.orgId)).toEqual(['org-b-chat ACTIVE', 'org-b-root ACTIVE']);
    expect(await getSyncState(kv, NS, b.orgId)).toMatchObject({ seq: 1 });
    const applied = logs.map((l) => JSON.parse(l.startsWith('{') ? l : 'null') as { type?: string; orgId?: string } | null);
    expect(applied).toContainEqual(expect.objectContaining({ type: 'FED_ANCHOR_SYNC_APPLY', orgId: b.orgId }));
  });

  it("a key B revokes is REVOKED in A's KV after the next cron run, and signatures by it are refused there", async () => {
    const { a, b } = fed;
    const leaked = await getSignerSecret(b.publisher, 'org-b-chat');
    const fresh = await addSigner(b.publisher, { kid: 'org-b-chat-2' });
    await revokeSigner(b.publisher, 'org-b-chat');
    expect(await b.publishAndPush()).toBe(2);

    expect(await a.cron()).toMatchObject({ outcome: 'ok' });
    const kv = await a.kv();
    expect(await statuses(kv, b.orgId)).toEqual(['org-b-chat REVOKED', 'org-b-chat-2 ACTIVE', 'org-b-root ACTIVE']);
    const message = utf8('hello from org B');
    const revoked = await verifyPeerMessage(kv, { ns: NS, orgId: b.orgId, kid: 'org-b-chat', message, signature: ed25519Sign(message, leaked) });
    expect(revoked).toMatchObject({ ok: false, reason: 'REVOKED' });
    const good = await verifyPeerMessage(kv, { ns: NS, orgId: b.orgId, kid: fresh.kid, message, signature: ed25519Sign(message, await getSignerSecret(b.publisher, fresh.kid)) });
    expect(good).toMatchObject({ ok: true });
  });

  it('a pushed pack no key pinned in ORG signed is refused with ERR_PACK_SIGNATURE and KV is unchanged; other orgs get 404', async () => {
    const { a, b } = fed;
    const kv = await a.kv();
    const before = await snapshot(kv);
    const impostor = memoryStorage();
    await addSigner(impostor, { kid: a.root.kid });
    const { pack } = await publishAnchorPack({ storage: impostor, ns: NS, orgId: a.orgId });
    const pushed = await pushAnchorPack(fetchTransport({ baseUrl: a.url, fetch: a.fetch, retries: 0 }), pack).catch((e: unknown) => e);
    expect(isAnchorSyncError(pushed, 'ERR_PACK_SIGNATURE'), String(pushed)).toBe(true);
    expect(await snapshot(kv)).toBe(before);

    // B's pack log is not served from A's Worker (A keeps B's anchors, not B's packs).
    const elsewhere = await a.fetch(`${a.url}/v1/packs/${NS}/${b.orgId}?since=0`, {});
    expect(elsewhere.status).toBe(404);
    expect(await elsewhere.json()).toEqual({ error: { code: 'ERR_NOT_FOUND', message: 'no such route' } });
  });

  it('wrangler.toml deploys the same entry, KV binding, vars and cron trigger the tests run', () => {
    const toml = readFileSync(new URL('../wrangler.toml', import.meta.url), 'utf8');
    expect(toml).toMatch(/^main = "src\/worker\.ts"$/m);
    expect(toml).toMatch(/^binding = "ANCHORS"$/m);
    expect(toml).toMatch(/^crons = \["\*\/15 \* \* \* \*"\]$/m);
    expect(toml).toMatch(/^ORG = '\{.*"pins":\[/m);
    expect(toml).toMatch(/^PEERS = '\[\{.*"baseUrl":"https:\/\//m);
    expect(toml).not.toMatch(/^compatibility_flags/m);
  });
});
