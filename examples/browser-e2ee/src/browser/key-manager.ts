/**
 * The key manager: a page on its own origin, framed by the app in a
 * sandboxed iframe. It alone holds the trust store (IndexedDB, sealed by
 * encryptedStorage), pins the peers' root keys from its own config, syncs
 * peers over fetch, and answers the app over postMessage. The app never
 * sees the store; it can only ask the questions served here.
 */
import { isAnchorSyncError, listTrustAnchors, pinTrustAnchor, runAnchorSync, type StorageDriver, type Transport } from '@anchorsync/core';
import { encryptedStorage } from '@anchorsync/storage-encrypted';
import { idbStorage } from '@anchorsync/storage-idb';
import { fetchTransport } from '@anchorsync/transport-fetch/client';
import { anchorsOp, peersOp, verifyOp } from '@anchorsync/transport-postmessage/ops';
import { servePostMessage } from '@anchorsync/transport-postmessage/responder';
import { broadcastAnchorChanges, onAnchorChanges, webLocksLock } from '@anchorsync/transport-postmessage/tabs';
import { fetchConfig, parseKeyManagerConfig, type KeyManagerConfig } from './config.ts';
import { storageKey } from './key-store.ts';
import { notice, parseSyncParams, SYNC_OP, type Notice, type SyncSummary } from './wire.ts';

/** Pins each configured root key unless that exact key is pinned already. */
async function pinRoots(storage: StorageDriver, config: KeyManagerConfig): Promise<void> {
  for (const peer of config.peers) {
    const pinned = await listTrustAnchors(storage, peer.ns, peer.orgId);
    for (const pin of peer.pins) {
      if (pinned.some((p) => p.kid === pin.kid && p.pubB64u === pin.pubB64u)) continue;
      await pinTrustAnchor(storage, { ns: peer.ns, orgId: peer.orgId, ...pin });
    }
  }
}

async function start(config: KeyManagerConfig, tellApp: (body: Notice) => void): Promise<void> {
  const storage = encryptedStorage(idbStorage({ dbName: 'browser-e2ee-trust' }), { key: await storageKey('browser-e2ee-key') });
  await pinRoots(storage, config);

  const transports = new Map<string, Transport>(config.peers.map((p) => [`${p.ns}:${p.orgId}`, fetchTransport({ baseUrl: p.baseUrl })]));
  // Tabs of the app each frame a key manager; all of them share this origin's IndexedDB.
  const lock = webLocksLock();
  const audit = broadcastAnchorChanges();
  onAnchorChanges((change) => tellApp({ type: 'anchors-changed', ...change }));

  const sync = async (members: Record<string, unknown>): Promise<SyncSummary> => {
    const { ns, orgId, force } = parseSyncParams(members);
    const transport = transports.get(`${ns}:${orgId}`);
    // Only peers from our own config: the app cannot point the store at a server of its choosing.
    if (!transport) return { ns, orgId, ok: false, skipped: false, fromSeq: 0, toSeq: 0, packsApplied: 0, code: 'ERR_NOT_FOUND' };
    const [result] = await runAnchorSync({ storage, transport, peers: [{ ns, orgId }], force, audit, ...(lock ? { lock } : {}) });
    if (!result) return { ns, orgId, ok: true, skipped: true, fromSeq: 0, toSeq: 0, packsApplied: 0 };
    const summary: SyncSummary = { ns, orgId, ok: result.ok, skipped: false, fromSeq: result.fromSeq, toSeq: result.toSeq, packsApplied: result.packsApplied };
    if (result.rejected) summary.code = result.rejected.code;
    return summary;
  };

  const responder = servePostMessage({
    listenOn: window,
    allowedOrigins: config.appOrigins,
    // What the app asks: verdicts, the peer table, and a sync now. It has no use for packs, so `pull` is not served.
    ops: { verify: verifyOp(storage), peers: peersOp(storage), anchors: anchorsOp(storage), [SYNC_OP]: sync },
    onError: (error) => console.error('key manager:', error),
  });
  // For devtools and the browser tests: what the responder answered and dropped.
  Object.assign(globalThis, { anchorsyncKeyManager: { stats: () => responder.stats() } });
  tellApp({ type: 'ready' });
}

async function main(): Promise<void> {
  const config = parseKeyManagerConfig(await fetchConfig('/key-manager.json'));
  // The app's window is our parent; it is told only things, never sent data from the store,
  // and only at the origins in our config (the browser drops a post to any other).
  const tellApp = (body: Notice) => {
    for (const origin of config.appOrigins) window.parent.postMessage(notice(body), origin);
  };
  try {
    await start(config, tellApp);
  } catch (error) {
    // Storage blocked (a third-party frame under a strict cookie setting) is the usual cause.
    const code = isAnchorSyncError(error) ? error.code : error instanceof Error ? error.name : 'Error';
    tellApp({ type: 'failed', code: /^[A-Za-z_]{1,64}$/.test(code) ? code : 'Error' });
    throw error;
  }
}

main().catch((error: unknown) => console.error('key manager failed to start:', error));
