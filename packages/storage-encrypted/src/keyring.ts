/**
 * A key in use: its tag (the key's namespace in the inner store) and name
 * blinding, both HMAC-SHA-256 under the key's `names` half.
 */
import { bytesToB64u, utf8 } from '@anchorsync/core';
import { invalid, webCrypto, type EncryptedStorageKey } from './web-crypto.ts';

/**
 * A blinded segment keeps 128 bits of HMAC-SHA-256: two names colliding in
 * one store is a 2^-64 event even after 2^32 names, and a collision is
 * still caught, because the envelope carries the real name.
 */
const SEGMENT_BYTES = 16;

/**
 * The tag is `e2` + 64 bits of HMAC: public, like a fingerprint, and enough
 * to tell a handful of keys apart. `e2` goes with envelope v2: the names of
 * format 1 (`e1…`) never meet it.
 */
const TAG_BYTES = 8;

export interface Keyring extends EncryptedStorageKey {
  /** This key's namespace in the inner store. Not secret. */
  tag: string;
  /** Path -> blinded segment: each path is blinded once per instance. */
  segments: Map<string, string>;
}

/**
 * HMAC-SHA-256 under the names key, cut to `length` bytes. Every input
 * starts with a letter for its purpose (`t` tag, `n` name, `i` IV), so no
 * two purposes ever share an output.
 */
export async function mac(key: EncryptedStorageKey, data: Uint8Array | string, length: number): Promise<Uint8Array> {
  return new Uint8Array(await webCrypto().sign('HMAC', key.names, typeof data === 'string' ? utf8(data) : data), 0, length);
}

/** The keyring of a checked key. */
export async function keyring(key: EncryptedStorageKey): Promise<Keyring> {
  return { ...key, tag: `e2${bytesToB64u(await mac(key, 't', TAG_BYTES))}`, segments: new Map() };
}

/**
 * The inner name of `name`, or with `prefix` set, the inner prefix of a
 * real prefix. Each `:`-separated segment is blinded: segment i is the HMAC
 * of the whole path up to and including it, so equal segments in different
 * places (an org id under `anchors:` and under `packs:`) do not blind alike,
 * while a shared path still shares a prefix, which is what `list(prefix)`
 * needs. Only a prefix that ends at a segment boundary (`''` or ending in
 * `:`) can be blinded; every prefix the SDK lists by does
 * (`storageKeys.*Prefix`).
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` for any other prefix.
 */
export async function blind(ring: Keyring, name: string, prefix?: boolean): Promise<string> {
  const segments = name.split(':');
  if (prefix && segments.pop() !== '') throw invalid('a list prefix must be "" or end in ":"');
  const blinded = segments.map(async (_, i) => {
    // The path text is an injective encoding: segments contain no ':'.
    const path = segments.slice(0, i + 1).join(':');
    let out = ring.segments.get(path);
    if (out === undefined) ring.segments.set(path, (out = bytesToB64u(await mac(ring, `n${path}`, SEGMENT_BYTES))));
    return out;
  });
  return [ring.tag, ...(await Promise.all(blinded)), ...(prefix ? [''] : [])].join(':');
}
