/**
 * The apply intent: one small record written before an apply changes a
 * peer's anchors, saying "pack #seq with this hash passed every acceptance
 * rule against the state whose hash is `prev`".
 *
 * Anchors are written before the state (a reader never sees a state ahead of
 * its anchors), so a crash between the two leaves anchors that already hold
 * the pack's changes. Re-applying the pack then checks its signatures against
 * those anchors, and when the pack retired or revoked a key that signed it
 * (a root signing its own hand-over, a key revoking itself), that key is no
 * longer trusted: without this record the peer would be stuck at the old seq
 * forever. The record also pins the seq: while it is pending, another pack
 * at that seq is equivocation, even if keys the pending pack added would now
 * verify it.
 */
import { b64uToBytes } from './encoding.ts';
import { guarded, type JsonValue, type StorageDriver } from './storage.ts';

export interface ApplyIntent {
  seq: number;
  hash: string;
  /** Hash of the state the pack was checked against; `null` for a peer's first pack. */
  prev: string | null;
}

const intentKey = (ns: string, orgId: string) => `fed:apply-intent:${ns}:${orgId}`;

/**
 * The intent that applies to a pack at `seq` on top of `stateHash`, if one
 * was recorded and not completed. A malformed record reads as none: it only
 * ever relaxes a check for the exact pack it names.
 */
export async function pendingIntent(storage: StorageDriver, ns: string, orgId: string, seq: number, stateHash: string | undefined): Promise<ApplyIntent | undefined> {
  const raw = (await guarded('get', () => storage.get(intentKey(ns, orgId)))) as Partial<ApplyIntent> | undefined;
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { seq: s, hash, prev } = raw;
  if (s !== seq || typeof hash !== 'string' || b64uToBytes(hash)?.length !== 32) return undefined;
  return prev === (stateHash ?? null) ? { seq, hash, prev: prev ?? null } : undefined;
}

/** Records the intent; it must land before the anchors it covers. */
export async function writeIntent(storage: StorageDriver, ns: string, orgId: string, intent: ApplyIntent): Promise<void> {
  await guarded('set', () => storage.set(intentKey(ns, orgId), intent as unknown as JsonValue));
}
