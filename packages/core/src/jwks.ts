/**
 * Anchors as a JWK Set (RFC 7517, OKP keys of RFC 8037), so tools such as
 * jose can check signatures by a peer's keys (DESIGN.md "Using anchors").
 */
import { getAnchors } from './anchor-registry.ts';
import { b64uToBytes } from './encoding.ts';
import { isValidPublicKey } from './ed25519.ts';
import { AnchorSyncError } from './errors.ts';
import type { StorageDriver } from './storage.ts';
import type { Anchor, AnchorStatus } from './types.ts';
import { validateAnchor } from './validate.ts';

/** An Ed25519 public key as a JWK; `x` is the anchor's `pubB64u`. */
export interface Jwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

export interface JwkSet {
  keys: Jwk[];
}

export interface JwksOptions {
  /**
   * Statuses to export; default `['ACTIVE']`. Adding `'RETIRED'` loses the
   * "only signatures made before retirement" rule: a JWKS consumer accepts
   * every signature by the key. `'REVOKED'` is refused.
   */
  include?: readonly AnchorStatus[];
}

/** ACTIVE only: a JWK Set has no way to say "valid until", so RETIRED is opt-in. */
const DEFAULT_INCLUDE: readonly AnchorStatus[] = ['ACTIVE'];

function statuses(include: readonly AnchorStatus[] | undefined): ReadonlySet<AnchorStatus> {
  const list = include ?? DEFAULT_INCLUDE;
  if (!Array.isArray(list)) throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'include must be an array of statuses');
  for (const status of list) {
    // Rule 4: a revoked key must never verify anything again, so it never leaves as a JWK.
    if (status === 'REVOKED') throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'REVOKED keys are never exported as JWKs');
    if (status !== 'ACTIVE' && status !== 'RETIRED') {
      throw new AnchorSyncError('ERR_INVALID_ARGUMENT', `include has an unknown status: ${String(status)}`);
    }
  }
  return new Set(list);
}

/**
 * Turns anchors into a JWK Set, sorted by kid. Keys that are not valid
 * Ed25519 public keys (off-curve, small order) are left out: anchorsync's
 * strict verifier refuses them, and a laxer JWKS consumer must not accept
 * what anchorsync refuses.
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` when `include` names
 * REVOKED or an unknown status, an anchor is malformed, or two exported
 * anchors share a kid (a JWK Set lookup by kid would be ambiguous).
 * @example
 * ```ts
 * const jwks = anchorsToJwks(await getAnchors(storage, 'prod', 'org-a'))
 * const { payload } = await jwtVerify(token, createLocalJWKSet(jwks))
 * ```
 */
export function anchorsToJwks(anchors: readonly Anchor[], options: JwksOptions = {}): JwkSet {
  const wanted = statuses(options.include);
  const out: Jwk[] = [];
  const kids = new Set<string>();
  for (const raw of anchors) {
    const anchor = validateAnchor(raw, 'ERR_INVALID_ARGUMENT');
    if (anchor.status === 'REVOKED' || !wanted.has(anchor.status)) continue;
    const bytes = b64uToBytes(anchor.pubB64u);
    if (!bytes || !isValidPublicKey(bytes)) continue;
    if (kids.has(anchor.kid)) {
      throw new AnchorSyncError('ERR_INVALID_ARGUMENT', `two anchors share kid ${anchor.kid}`, { details: { kid: anchor.kid } });
    }
    kids.add(anchor.kid);
    out.push({ kty: 'OKP', crv: 'Ed25519', x: anchor.pubB64u, kid: anchor.kid, alg: 'EdDSA', use: 'sig' });
  }
  out.sort((a, b) => (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0));
  return { keys: out };
}

/**
 * The stored anchors of a peer organisation as a JWK Set (see
 * {@link anchorsToJwks}). It reflects storage as it is and does not check
 * freshness: for a peer whose last pack expired, `resolvePeerKey` says
 * `STALE` while this still exports its keys, so check `getSyncState` first
 * when that matters.
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` for a malformed id or
 * `include`; `ERR_STORAGE` / `ERR_STORAGE_CORRUPT` from storage.
 * @example
 * ```ts
 * const jwks = await exportPeerJwks(storage, 'prod', 'org-a')
 * return Response.json(jwks)
 * ```
 */
export async function exportPeerJwks(storage: StorageDriver, ns: string, orgId: string, options: JwksOptions = {}): Promise<JwkSet> {
  statuses(options.include);
  return anchorsToJwks(await getAnchors(storage, ns, orgId), options);
}
