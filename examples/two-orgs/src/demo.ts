/**
 * Two organisations federate their signing keys over real HTTP on 127.0.0.1.
 *
 * Org A publishes signed anchor packs from its own server. Org B pins A's
 * root key once, out of band, then syncs A's anchors, follows a key rotation
 * and a revocation as a delta, and refuses a replayed and a tampered pack.
 */
import {
  addSigner,
  applyAnchorPack,
  ed25519Sign,
  getAnchors,
  getSignerSecret,
  isAnchorSyncError,
  pinTrustAnchor,
  publishAnchorPack,
  retireSigner,
  revokeSigner,
  runAnchorSync,
  utf8,
  verifyPeerMessage,
  type AnchorPack,
  type AuditEvent,
  type StorageDriver,
  type SyncResult,
} from '@anchorsync/core';
import { memoryStorage } from '@anchorsync/storage-memory';
import { fetchTransport } from '@anchorsync/transport-fetch/client';
import { serveNode } from '@anchorsync/transport-fetch/node';
import { createAnchorHandler } from '@anchorsync/transport-fetch/server';
import { table } from './table.ts';

const NS = 'demo';
const ORG_A = 'org-a.example';
const PEER = { ns: NS, orgId: ORG_A };

export interface DemoReport {
  bytesBySync: number[];
  rejections: string[];
  audit: AuditEvent[];
}

/** Runs the whole story, writing readable output through `log`. */
export async function runDemo(log: (line: string) => void = console.log): Promise<DemoReport> {
  const orgA = memoryStorage();
  const orgB = memoryStorage();
  const audit: AuditEvent[] = [];
  const bytesBySync: number[] = [];
  const rejections: string[] = [];

  log('== Org A creates its keys and publishes pack #1');
  const root = await addSigner(orgA, { kid: 'a-root' });
  await addSigner(orgA, { kid: 'a-chat-2026q3' });
  await addSigner(orgA, { kid: 'a-files-2026' });
  const first = await publishAnchorPack({ storage: orgA, ...PEER });
  log(`published ${ORG_A} #${first.pack.seq} with ${first.pack.anchors.length} anchors, hash ${first.hash.slice(0, 16)}…`);

  const server = await serveNode(createAnchorHandler({ storage: orgA, refreshAfterSec: 60 }), { port: 0, host: '127.0.0.1' });
  const baseUrl = server.url;
  log(`org A serves its packs at ${baseUrl}`);

  let bytes = 0;
  const countingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const body = new Uint8Array(await response.arrayBuffer());
    bytes += body.length;
    return new Response(response.status === 304 ? null : body, { status: response.status, headers: response.headers });
  };
  const transport = fetchTransport({ baseUrl, fetch: countingFetch, timeoutMs: 5000, retries: 1 });
  const sync = async (title: string) => {
    bytes = 0;
    const results = await runAnchorSync({ storage: orgB, transport, peers: [PEER], force: true, audit: (e) => void audit.push(e) });
    bytesBySync.push(bytes);
    log(`\n== ${title}`);
    log(syncTable(results, bytes));
    log('');
    log(await anchorTable(orgB));
  };

  try {
    log(`\n== Org B pins A's root key out of band: ${root.kid} = ${root.pubB64u}`);
    await pinTrustAnchor(orgB, { ...PEER, kid: root.kid, pubB64u: root.pubB64u });
    await sync('Org B syncs A for the first time (full set)');

    // Kept to show below that signatures by a retired or stolen key no longer pass.
    const oldSecrets = new Map<string, Uint8Array>();
    for (const kid of ['a-chat-2026q3', 'a-files-2026']) oldSecrets.set(kid, await getSignerSecret(orgA, kid));

    log('\n== Org A rotates its chat key and revokes its file key');
    await addSigner(orgA, { kid: 'a-chat-2026q4' });
    await retireSigner(orgA, 'a-chat-2026q3');
    await revokeSigner(orgA, 'a-files-2026');
    const second = await publishAnchorPack({ storage: orgA, ...PEER });
    log(`published ${ORG_A} #${second.pack.seq}: a delta of ${second.changed.length} anchors (${second.changed.join(', ')})`);
    await sync('Org B syncs again and receives only the delta');
    await sync('Org B syncs once more: nothing changed, so no pack bytes (HTTP 304)');

    log('\n== An attacker replays old pack #1 and a tampered pack #2 at org B');
    const tampered = structuredClone(second.pack) as AnchorPack;
    const files = tampered.anchors.find((a) => a.kid === 'a-files-2026');
    if (files) files.status = 'ACTIVE';
    for (const [label, pack] of [
      ['replayed pack #1', first.pack],
      ['tampered pack #2 (a-files-2026 flipped back to ACTIVE)', tampered],
    ] as const) {
      try {
        await applyAnchorPack({ storage: orgB, audit: (e) => void audit.push(e) }, pack, { expect: PEER });
        log(`${label}: ACCEPTED (this must not happen)`);
      } catch (e) {
        if (!isAnchorSyncError(e)) throw e;
        rejections.push(e.code);
        log(`${label}: rejected with ${e.code}`);
      }
    }

    log('\n== Org B checks message signatures from org A');
    const message = utf8('invoice 2026-118 approved');
    for (const kid of ['a-chat-2026q4', 'a-chat-2026q3', 'a-files-2026']) {
      const signature = ed25519Sign(message, oldSecrets.get(kid) ?? (await getSignerSecret(orgA, kid)));
      const verdict = await verifyPeerMessage(orgB, { ...PEER, kid, message, signature });
      log(`${kid.padEnd(14)} ${verdict.ok ? 'VALID' : `refused: ${verdict.reason}`}`);
    }

    log('\n== Org B audit trail');
    log(
      table(
        ['event', 'org', 'seq', 'detail'],
        audit.map((e) => [e.type, e.orgId, 'seq' in e && e.seq !== undefined ? e.seq : '', auditDetail(e)]),
      ),
    );
  } finally {
    await server.close();
  }
  return { bytesBySync, rejections, audit };
}

function auditDetail(e: AuditEvent): string {
  switch (e.type) {
    case 'FED_ANCHOR_SYNC_PULL':
      return `since #${e.since}, ${e.packs} pack(s)${e.notModified ? ', not modified' : ''}`;
    case 'FED_ANCHOR_SYNC_APPLY':
      return `+${e.counts.added} added, ${e.counts.retired} retired, ${e.counts.revoked} revoked`;
    case 'FED_ANCHOR_SYNC_REJECT':
      return e.code;
    case 'FED_ANCHOR_PUBLISH':
      return `${e.anchors} anchors`;
  }
}

function syncTable(results: SyncResult[], bytes: number): string {
  return table(
    ['peer', 'seq', 'added', 'retired', 'revoked', 'unchanged', 'bytes', 'result'],
    results.map((r) => [r.orgId, `${r.fromSeq} -> ${r.toSeq}`, r.added, r.retired, r.revoked, r.unchanged, bytes, r.ok ? 'ok' : r.rejected!.code]),
  );
}

async function anchorTable(storage: StorageDriver): Promise<string> {
  const anchors = await getAnchors(storage, NS, ORG_A);
  return table(
    ['kid', 'status', 'public key', 'since'],
    anchors.map((a) => [a.kid, a.status, `${a.pubB64u.slice(0, 20)}…`, a.updatedAt]),
  );
}

