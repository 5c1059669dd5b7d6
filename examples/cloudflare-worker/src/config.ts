/**
 * The Worker's configuration, from `wrangler.toml` [vars] (a JSON string or
 * a table): who we are (`ORG`) and which peers we follow (`PEERS`), each with
 * the keys pinned for it out of band. Checked on every use: a mistake fails
 * with `ERR_INVALID_ARGUMENT` naming the member, before anything is stored.
 */
import { AnchorSyncError, listTrustAnchors, pinTrustAnchor, unpinTrustAnchor, validateId, type StorageDriver } from '@anchorsync/core';

export interface PinConfig {
  kid: string;
  pubB64u: string;
}

/** This organisation: packs pushed here must be signed by one of `pins`. */
export interface OrgConfig {
  ns: string;
  orgId: string;
  pins: PinConfig[];
}

/** A peer organisation, synced from `baseUrl` on every cron run. */
export interface PeerConfig extends OrgConfig {
  baseUrl: string;
}

function invalid(path: string, message: string): never {
  throw new AnchorSyncError('ERR_INVALID_ARGUMENT', `${path} ${message}`, { details: { path } });
}

function parse(raw: unknown, path: string): unknown {
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return invalid(path, 'is not valid JSON');
  }
}

function org(value: unknown, path: string): OrgConfig {
  if (typeof value !== 'object' || value === null) invalid(path, 'must be an object');
  const { ns, orgId, pins } = value as Record<string, unknown>;
  if (!Array.isArray(pins) || pins.length === 0) invalid(`${path}.pins`, 'must list at least one pinned key');
  return {
    ns: validateId(ns, `${path}.ns`),
    orgId: validateId(orgId, `${path}.orgId`),
    pins: pins.map((pin: unknown, i) => {
      const p = (pin ?? {}) as Record<string, unknown>;
      if (typeof p.pubB64u !== 'string') invalid(`${path}.pins[${i}].pubB64u`, 'must be a base64url public key');
      return { kid: validateId(p.kid, `${path}.pins[${i}].kid`), pubB64u: p.pubB64u };
    }),
  };
}

/** Reads `ORG`. */
export function readOrg(raw: unknown): OrgConfig {
  return org(parse(raw, 'ORG'), 'ORG');
}

/** Reads `PEERS` (absent: no peers). Peers must be https, except on loopback for local runs. */
export function readPeers(raw: unknown, self?: OrgConfig): PeerConfig[] {
  const value = raw === undefined ? [] : parse(raw, 'PEERS');
  if (!Array.isArray(value)) invalid('PEERS', 'must be an array');
  const seen = new Set<string>();
  return value.map((item: unknown, i) => {
    const peer = org(item, `PEERS[${i}]`);
    const key = `${peer.ns}/${peer.orgId}`;
    if (seen.has(key) || (self && self.ns === peer.ns && self.orgId === peer.orgId)) invalid(`PEERS[${i}]`, `repeats ${key}`);
    seen.add(key);
    let url: URL | undefined;
    try {
      url = new URL(String((item as Record<string, unknown>).baseUrl));
    } catch {
      invalid(`PEERS[${i}].baseUrl`, 'is not a URL');
    }
    const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost';
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) invalid(`PEERS[${i}].baseUrl`, 'must be https');
    return { ...peer, baseUrl: url.href };
  });
}

/**
 * Makes the keys pinned in storage for (ns, orgId) exactly `pins`: adds the
 * missing, replaces changed ones and unpins removed ones, so taking a key
 * out of the config withdraws its trust. Writes nothing when they match.
 */
export async function syncPins(storage: StorageDriver, target: OrgConfig): Promise<void> {
  const current = await listTrustAnchors(storage, target.ns, target.orgId);
  const wanted = new Map(target.pins.map((p) => [p.kid, p.pubB64u]));
  for (const pin of current) {
    if (wanted.get(pin.kid) !== pin.pubB64u) await unpinTrustAnchor(storage, target.ns, target.orgId, pin.kid);
  }
  for (const [kid, pubB64u] of wanted) {
    if (!current.some((p) => p.kid === kid && p.pubB64u === pubB64u)) await pinTrustAnchor(storage, { ns: target.ns, orgId: target.orgId, kid, pubB64u });
  }
}
