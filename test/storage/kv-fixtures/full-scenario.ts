/**
 * The engine's whole client life on one storage: first sync, a delta over
 * two pages, a revocation, a no-change sync, a replayed old pack, and
 * message checks with the synced keys. Framework-free; returns plain JSON.
 */
import {
  applyAnchorPack,
  bytesToB64u,
  canonicalJson,
  ed25519Sign,
  getSyncState,
  isAnchorSyncError,
  loadPack,
  resolvePeerKey,
  utf8,
  verifyPeerMessage,
  type JsonValue,
  type StorageDriver,
  type SyncResult,
} from '@anchorsync/core';
import { federation, NS, ORG, statuses } from './federation.ts';

export interface FullScenarioReport {
  first: SyncResult;
  delta: SyncResult;
  revocation: SyncResult;
  idle: SyncResult;
  /** Code the replay of pack #2 was refused with, and whether the client's storage stayed byte-identical. */
  replayCode: string;
  replayLeftStorageUnchanged: boolean;
  clientStatuses: Record<string, string>;
  publisherStatuses: Record<string, string>;
  clientSeq: number;
  sameHeadAsPublisher: boolean;
  /** A message signed by `edge` verifies; one signed by the revoked `chat` does not. */
  edgeVerdict: { ok: boolean; reason?: string };
  chatVerdict: { ok: boolean; reason?: string };
  chatKey: { usable: boolean; reason?: string };
}

/** Every key and value in `storage`, for byte-identity checks. */
export async function dump(storage: StorageDriver): Promise<string> {
  const out: Record<string, JsonValue> = {};
  for (const key of await storage.list('')) out[key] = (await storage.get(key)) ?? null;
  return canonicalJson(out);
}

export async function fullScenario(publisher: StorageDriver, client: StorageDriver): Promise<FullScenarioReport> {
  const fed = await federation(publisher);
  await fed.pin(client);
  const first = await fed.sync(client, { pageSize: 1 });
  await fed.add('chat', 2);
  await fed.add('edge', 3);
  const delta = await fed.sync(client, { pageSize: 1 });
  await fed.revoke('chat');
  const revocation = await fed.sync(client, { pageSize: 1 });
  const idle = await fed.sync(client);

  const before = await dump(client);
  const old = await loadPack(publisher, NS, ORG, 2);
  const replayCode = await applyAnchorPack({ storage: client, clock: fed.clock }, old).then(
    () => 'accepted',
    (e: unknown) => (isAnchorSyncError(e) ? e.code : String(e)),
  );
  const replayLeftStorageUnchanged = (await dump(client)) === before;

  const now = fed.clock();
  const message = 'org-a says hello';
  const signed = (fill: number) => bytesToB64u(ed25519Sign(utf8(message), new Uint8Array(32).fill(fill)));
  const verdict = async (kid: string, fill: number) => {
    const v = await verifyPeerMessage(client, { ns: NS, orgId: ORG, kid, message, signature: signed(fill) }, { now });
    return v.ok ? { ok: true } : { ok: false, reason: v.reason };
  };
  const chat = await resolvePeerKey(client, NS, ORG, 'chat', { now });
  const clientState = await getSyncState(client, NS, ORG);
  const publisherState = await getSyncState(publisher, NS, ORG);
  return {
    first,
    delta,
    revocation,
    idle,
    replayCode,
    replayLeftStorageUnchanged,
    clientStatuses: await statuses(client),
    publisherStatuses: await statuses(publisher),
    clientSeq: clientState?.seq ?? 0,
    sameHeadAsPublisher: clientState?.seq === publisherState?.seq && clientState?.hash === publisherState?.hash,
    edgeVerdict: await verdict('edge', 3),
    chatVerdict: await verdict('chat', 2),
    chatKey: chat.usable ? { usable: true } : { usable: false, reason: chat.reason },
  };
}
