/**
 * Which (ns, orgId) this store publishes as. `publish` records it, so that
 * `inspect` can mark the local org and `verify`/`apply` trust the local
 * signers for it (and only for it).
 */
import type { StorageDriver } from '@anchorsync/core';

const PREFIX = 'cli:local:';

/** Records that this store publishes (ns, orgId). */
export async function markLocalOrg(storage: StorageDriver, ns: string, orgId: string): Promise<void> {
  if ((await storage.get(PREFIX + `${ns}:${orgId}`)) === undefined) await storage.set(PREFIX + `${ns}:${orgId}`, { ns, orgId });
}

/** Whether this store has published as (ns, orgId). */
export async function isLocalOrg(storage: StorageDriver, ns: string, orgId: string): Promise<boolean> {
  return (await storage.get(PREFIX + `${ns}:${orgId}`)) !== undefined;
}
