/**
 * The two pages' configuration. Each page reads its own from a JSON file on
 * its own origin (`/app-config.json`, `/key-manager.json`): the key manager
 * never takes its pins, pack servers or allowed app origins from the page
 * that embeds it, or any page could frame it with a root key of its own.
 */
import { AnchorSyncError, validateId } from '@anchorsync/core';

/** A peer organisation the key manager syncs, and the root key pinned for it out of band. */
export interface PeerConfig {
  ns: string;
  orgId: string;
  /** The organisation's pack server, e.g. `https://anchors.org-a.example`. */
  baseUrl: string;
  /** Keys trusted to sign its packs (at least one). */
  pins: { kid: string; pubB64u: string }[];
}

/** `/key-manager.json` on the key manager's origin. */
export interface KeyManagerConfig {
  /** Exact origins of the app pages allowed to ask (no wildcards). */
  appOrigins: string[];
  peers: PeerConfig[];
}

/** `/app-config.json` on the app's origin. */
export interface AppConfig {
  /** The key manager page, on another origin. */
  keyManagerUrl: string;
  /** Where the app's messages come from (the chat server, in a real app). */
  inboxUrl: string;
}

function fail(message: string): never {
  throw new AnchorSyncError('ERR_INVALID_ARGUMENT', `config: ${message}`);
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${what} must be an object`);
  return value as Record<string, unknown>;
}

function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value) || value.length === 0) fail(`${what} must be a non-empty array`);
  return value;
}

/** An exact origin: what `event.origin` can equal. `'*'`, `'null'`, paths and trailing slashes are refused. */
export function exactOrigin(value: unknown, what: string): string {
  let origin: string | undefined;
  try {
    origin = typeof value === 'string' ? new URL(value).origin : undefined;
  } catch {
    origin = undefined;
  }
  // A '*' survives URL parsing as a host character; it must never reach an origin check.
  if (origin === undefined || origin === 'null' || origin !== value || origin.includes('*')) fail(`${what} must be an exact origin like https://app.example`);
  return origin;
}

function httpUrl(value: unknown, what: string, base?: string): string {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value, base) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) fail(`${what} must be an http(s) URL`);
  return url.href;
}

/**
 * Checks the key manager's configuration.
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` naming the first bad member.
 */
export function parseKeyManagerConfig(value: unknown): KeyManagerConfig {
  const config = record(value, 'key manager config');
  const appOrigins = list(config.appOrigins, 'appOrigins').map((o, i) => exactOrigin(o, `appOrigins[${i}]`));
  const peers = list(config.peers, 'peers').map((raw, i) => {
    const peer = record(raw, `peers[${i}]`);
    const pins = list(peer.pins, `peers[${i}].pins`).map((p, j) => {
      const pin = record(p, `peers[${i}].pins[${j}]`);
      if (typeof pin.pubB64u !== 'string') fail(`peers[${i}].pins[${j}].pubB64u must be a string`);
      return { kid: validateId(pin.kid, 'kid'), pubB64u: pin.pubB64u };
    });
    return { ns: validateId(peer.ns, 'ns'), orgId: validateId(peer.orgId, 'orgId'), baseUrl: httpUrl(peer.baseUrl, `peers[${i}].baseUrl`), pins };
  });
  return { appOrigins, peers };
}

/**
 * Checks the app's configuration; relative URLs resolve against `base`.
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` naming the first bad member.
 */
export function parseAppConfig(value: unknown, base: string): AppConfig {
  const config = record(value, 'app config');
  return { keyManagerUrl: httpUrl(config.keyManagerUrl, 'keyManagerUrl', base), inboxUrl: httpUrl(config.inboxUrl, 'inboxUrl', base) };
}

/** Fetches a JSON config from the page's own origin, never from a cache. */
export async function fetchConfig(path: string): Promise<unknown> {
  const response = await fetch(path, { cache: 'no-store', credentials: 'omit' });
  if (!response.ok) fail(`${path} answered ${response.status}`);
  return response.json();
}
