/**
 * `@anchorsync/crypto-platform` for Node, Bun and Deno: a synchronous
 * SHA-256 from node:crypto (OpenSSL, BoringSSL), checked once against a
 * known answer before it is trusted. The one pass over a pack's bytes moves
 * to native code; the Ed25519 decisions stay in core.
 */
import { createHash, getHashes } from 'node:crypto';
import type { CryptoProvider } from '@anchorsync/core';
import { webCryptoProvider } from './web.ts';

export { webCryptoProvider };

// FIPS 180-4 example: SHA-256("abc"), first 16 bytes, hex.
const ABC_256 = 'ba7816bf8f01cfea414140de5dae2223';

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
 * SHA-256 or answers wrongly.
 *
 * @example
 * ```ts
 * const crypto = nodeCryptoProvider()
 * await applyAnchorPack({ storage, ...(crypto ? { crypto } : {}) }, pack)
 * ```
 */
export function nodeCryptoProvider(): CryptoProvider | undefined {
  const sha256 = hasher('sha256', ABC_256);
  return sha256 ? { sha256 } : undefined;
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
