/**
 * Which keys may sign packs for an organisation (DESIGN.md rule 2): keys
 * pinned for it, this organisation's own ACTIVE signers when it is the
 * local one, and, only when the policy allows rotation, the ACTIVE anchors
 * accepted from its last pack.
 */
import type { TrustedKey } from './pack-verify.ts';
import type { StorageDriver } from './storage.ts';
import { getAnchors } from './anchor-registry.ts';
import { listSigners } from './signer-registry.ts';
import { listTrustAnchors } from './trust-registry.ts';

export interface TrustOptions {
  /** This organisation's id; its packs are also trusted when signed by its local signers. */
  localOrgId?: string;
  /** Let the ACTIVE anchors of the peer's last accepted pack sign its next one. */
  allowRotation?: boolean;
}

/**
 * Collects the keys trusted to sign packs of (ns, orgId).
 *
 * @example
 * ```ts
 * const trusted = await trustedKeysFor(storage, 'prod', 'org-a', { allowRotation: true })
 * ```
 */
export async function trustedKeysFor(storage: StorageDriver, ns: string, orgId: string, options: TrustOptions = {}): Promise<TrustedKey[]> {
  const trusted: TrustedKey[] = [];
  for (const t of await listTrustAnchors(storage, ns, orgId)) trusted.push({ kid: t.kid, pubB64u: t.pubB64u, source: 'pinned' });
  if (options.localOrgId !== undefined && options.localOrgId === orgId) {
    for (const s of await listSigners(storage)) {
      if (s.status === 'ACTIVE') trusted.push({ kid: s.kid, pubB64u: s.pubB64u, source: 'local' });
    }
  }
  if (options.allowRotation) {
    for (const a of await getAnchors(storage, ns, orgId)) {
      if (a.status === 'ACTIVE') trusted.push({ kid: a.kid, pubB64u: a.pubB64u, source: 'rotation' });
    }
  }
  return trusted;
}
