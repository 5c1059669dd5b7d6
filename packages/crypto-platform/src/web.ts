/**
 * `@anchorsync/crypto-platform` for browsers and workers: SHA-256 from
 * WebCrypto (`crypto.subtle.digest`), detected at call time. The one pass
 * over a pack's bytes moves to the platform; the Ed25519 decisions stay in
 * core. Node, Bun and Deno resolve this package to ./node.ts instead.
 */
import type { CryptoProvider } from '@anchorsync/core';

interface SubtleLike {
  digest(algorithm: string, data: Uint8Array): Promise<ArrayBuffer>;
}

/**
 * A provider over WebCrypto's SHA-256, or `undefined` where there is none
 * (core then hashes in JS). Pass `subtle` to use another implementation.
 *
 * @example
 * ```ts
 * const crypto = webCryptoProvider()
 * await runAnchorSync({ storage, transport, peers, ...(crypto ? { crypto } : {}) })
 * ```
 */
export function webCryptoProvider(subtle?: SubtleLike): CryptoProvider | undefined {
  const s = subtle ?? (globalThis as { crypto?: { subtle?: SubtleLike } }).crypto?.subtle;
  if (typeof s?.digest !== 'function') return undefined;
  return {
    sha256: async (data) => new Uint8Array(await s.digest('SHA-256', data)),
  };
}

/**
 * The best provider this runtime offers (here: WebCrypto), or `undefined`.
 *
 * @example
 * ```ts
 * import { platformCrypto } from '@anchorsync/crypto-platform'
 * const crypto = platformCrypto()
 * ```
 */
export function platformCrypto(): CryptoProvider | undefined {
  return webCryptoProvider();
}
