/**
 * Core's own SHA-512 and SHA-512/256 (packages/core/src/sha512.ts) give the
 * digests of an independent implementation (node:crypto, i.e. OpenSSL) for
 * every message length from 0 to 1,100 bytes (every padding case: the
 * 111/112-byte boundary, whole blocks, one more), for large random messages,
 * and for the FIPS 180-4 example messages. Ed25519 vectors run through it in
 * test/vectors/ed25519.test.ts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha512, sha512_256 } from '../../packages/core/src/sha512.ts';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const openssl = (algorithm: string, data: Uint8Array): string => createHash(algorithm).update(data).digest('hex');
const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('SHA-512 and SHA-512/256 against node:crypto', () => {
  const random = new Uint8Array(randomBytes(4_000_000));

  it('every length from 0 to 1,100 bytes', () => {
    const wrong: string[] = [];
    for (let n = 0; n <= 1_100; n++) {
      const m = random.subarray(n, n + n);
      if (hex(sha512(m)) !== openssl('sha512', m)) wrong.push(`sha512 length ${n}`);
      if (hex(sha512_256(m)) !== openssl('sha512-256', m)) wrong.push(`sha512-256 length ${n}`);
    }
    expect(wrong).toEqual([]);
  });

  it('large messages, at and around powers of two, from an offset inside a larger buffer', () => {
    for (const n of [65_535, 65_536, 65_537, 1_000_000, 2 ** 21 + 113, 3_999_000]) {
      const m = random.subarray(1, 1 + n);
      expect(hex(sha512(m)), `length ${n}`).toBe(openssl('sha512', m));
      expect(hex(sha512_256(m)), `length ${n}`).toBe(openssl('sha512-256', m));
    }
  });

  it('the FIPS 180-4 examples, one million "a" included', () => {
    expect(hex(sha512(ascii('abc')))).toBe(
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    );
    expect(hex(sha512_256(ascii('abc')))).toBe('53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23');
    const two = ascii('abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu');
    expect(hex(sha512(two))).toBe(
      '8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909',
    );
    expect(hex(sha512_256(two))).toBe('3928e184fb8690f840da3988121d31be65cb9d3ef83ee6146feac861e19b563a');
    const million = new Uint8Array(1_000_000).fill(0x61);
    expect(hex(sha512(million))).toBe(openssl('sha512', million));
    expect(hex(sha512(million)).slice(0, 32)).toBe('e718483d0ce769644e2e42c7bc15b463');
  });

  it('does not change its input and gives fresh output arrays', () => {
    const m = random.slice(0, 300);
    const copy = m.slice();
    const a = sha512(m);
    const b = sha512(m);
    expect(m).toEqual(copy);
    expect(a).not.toBe(b);
    expect(a).toEqual(b);
    a[0] = a[0]! ^ 1;
    expect(hex(sha512(m))).toBe(openssl('sha512', m));
  });
});
