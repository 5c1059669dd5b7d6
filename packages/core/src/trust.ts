/**
 * Which keys may sign packs for an organisation (DESIGN.md rule 2): keys
 * pinned for it (unless it has since retired or revoked them), this
 * organisation's own ACTIVE signers when it is the local one, and, only when
 * the policy allows rotation, the ACTIVE anchors accepted from its last pack.
 */
import type { TrustedKey } from './pack-verify.ts';
import type { StorageDriver } from './storage.ts';
import type { Anchor } from './types.ts';
import { getAnchors } from './anchor-registry.ts';
import { listSigners } from './signer-registry.ts';
import { listTrustAnchors } from './trust-registry.ts';

export interface TrustOptions {
  /** This organisation's id; its packs are also trusted when signed by its local signers. */
  localOrgId?: string;
  /** Let the ACTIVE anchors of the peer's last accepted pack sign its next one. */
  allowRotation?: boolean;
  /** The peer's stored anchors when the caller has just read them (saves reading and validating them again). */
  anchors?: readonly Anchor[];
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
  const anchors = options.anchors ?? (await getAnchors(storage, ns, orgId));
  // Rule 4 outranks a pin: once the organisation itself said a key is RETIRED
  // or REVOKED, that key signs none of its later packs, pinned or not.
  const withdrawn = new Set(anchors.filter((a) => a.status !== 'ACTIVE').map((a) => a.pubB64u));
  for (const t of await listTrustAnchors(storage, ns, orgId)) {
    if (!withdrawn.has(t.pubB64u)) trusted.push({ kid: t.kid, pubB64u: t.pubB64u, source: 'pinned' });
  }
  if (options.localOrgId !== undefined && options.localOrgId === orgId) {
    for (const s of await listSigners(storage)) {
      if (s.status === 'ACTIVE') trusted.push({ kid: s.kid, pubB64u: s.pubB64u, source: 'local' });
    }
  }
  if (options.allowRotation) {
    for (const a of anchors) {
      if (a.status === 'ACTIVE') trusted.push({ kid: a.kid, pubB64u: a.pubB64u, source: 'rotation' });
    }
  }
  return trusted;
}
