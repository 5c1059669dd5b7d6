/**
 * `@anchorsync/crypto-platform` for Node, Bun and Deno: synchronous SHA-512
 * and SHA-512/256 from node:crypto (OpenSSL, BoringSSL), each checked once
 * against a known answer before it is trusted. Both hashes of a pack move
 * to native code; the Ed25519 decisions stay in core.
 */
import { createHash, getHashes } from 'node:crypto';
import type { CryptoProvider } from '@anchorsync/core';
import { webCryptoProvider } from './web.ts';

export { webCryptoProvider };

// FIPS 180-4 examples: SHA-512("abc") and SHA-512/256("abc"), first 16 bytes of each, hex.
const ABC_512 = 'ddaf35a193617abacc417349ae204131';
const ABC_512_256 = '53048e2681941ef99b2e29b76b4c7dab';

function hasher(algorithm: string, known: string): ((data: Uint8Array) => Uint8Array) | undefined {
  try {
    if (!getHashes().includes(algorithm)) return undefined;
    const hash = (data: Uint8Array): Uint8Array => {
      const out = createHash(algorithm).update(data).digest();
      return new Uint8Array(out.buffer, out.byteOffset, out.length);
    };
    const abc = hash(new TextEncoder().encode('abc'));
    return Array.from(abc.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join('') === known ? hash : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A provider over node:crypto, or `undefined` when this runtime lacks
 * SHA-512 or answers wrongly. SHA-512/256 is included where available.
 *
 * @example
 * ```ts
 * const crypto = nodeCryptoProvider()
 * await applyAnchorPack({ storage, ...(crypto ? { crypto } : {}) }, pack)
 * ```
 */
export function nodeCryptoProvider(): CryptoProvider | undefined {
  const sha512 = hasher('sha512', ABC_512);
  if (!sha512) return undefined;
  const sha512_256 = hasher('sha512-256', ABC_512_256);
  return sha512_256 ? { sha512, sha512_256 } : { sha512 };
}

/**
 * The best provider this runtime offers: node:crypto, else WebCrypto, else `undefined`.
 *
 * @example
 * ```ts
 * import { platformCrypto } from '@anchorsync/crypto-platform'
 * const crypto = platformCrypto()
 * ```
 */
export function platformCrypto(): CryptoProvider | undefined {
  return nodeCryptoProvider() ?? webCryptoProvider();
}
