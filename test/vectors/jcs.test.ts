/**
 * RFC 8785 (JCS) through the SDK's `canonicalJson`, against cyberphone's
 * test data and RFC 8785 Appendix B (origins in ./data/SOURCES.md), and a
 * golden pack that pins the v1 signing bytes: a change to the wire format
 * must fail here before it reaches a peer.
 */
import { createPublicKey, verify as nativeVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  bytesToB64u,
  canonicalJson,
  isAnchorSyncError,
  packDigest,
  packHash,
  packSignatureMessage,
  packSigningBytes,
  publicKeyOf,
  signAnchorPack,
  validatePack,
  type AnchorPack,
  type UnsignedAnchorPack,
} from '@anchorsync/core';

const data = (name: string): URL => new URL(`./data/jcs/${name}`, import.meta.url);
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

function hex(text: string): Uint8Array {
  if (text.length % 2 !== 0 || /[^0-9a-f]/i.test(text)) throw new Error(`not hex: ${text}`);
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The binary64 whose big-endian bits are `bits` (hex, leading zeros optional). */
function float64(bits: string): number {
  const view = new DataView(hex(bits.padStart(16, '0')).buffer);
  return view.getFloat64(0);
}

describe('cyberphone json-canonicalization testdata', () => {
  const names = ['arrays', 'french', 'structures', 'unicode', 'values', 'weird'];

  it.each(names)('input/%s.json canonicalises to its output file byte for byte, and to its outhex', (name) => {
    const input = readFileSync(data(`input/${name}.json`), 'utf8');
    const expected = new Uint8Array(readFileSync(data(`output/${name}.json`)));
    const fromHex = hex(readFileSync(data(`outhex/${name}.txt`), 'ascii').replace(/\s+/g, ''));
    expect(expected.length).toBeGreaterThan(0);
    expect(fromHex).toEqual(expected);
    expect(utf8(canonicalJson(JSON.parse(input)))).toEqual(expected);
  });
});

describe('RFC 8785 Appendix B number samples', () => {
  const vectors = (JSON.parse(readFileSync(data('rfc8785_appendix_b_numbers.json'), 'utf8')) as {
    vectors: { ieee754: string; expected: string | null; comment?: string }[];
  }).vectors;

  it('holds 26 samples, two of them (NaN, Infinity) without a JSON form', () => {
    expect(vectors).toHaveLength(26);
    const refused = vectors.filter((v) => v.expected === null).map((v) => float64(v.ieee754));
    expect(refused).toEqual([NaN, Infinity]);
  });

  it('serialises every finite sample as RFC 8785 says', () => {
    const wrong: string[] = [];
    for (const v of vectors) {
      if (v.expected === null) continue;
      const got = canonicalJson(float64(v.ieee754));
      if (got !== v.expected) wrong.push(`${v.ieee754}: expected ${v.expected}, got ${got}`);
    }
    expect(wrong).toEqual([]);
  });

  it('refuses NaN and Infinity with ERR_INVALID_ARGUMENT', () => {
    const refused = vectors.filter((x) => x.expected === null);
    expect(refused).toHaveLength(2);
    for (const v of refused) {
      let caught: unknown;
      try {
        canonicalJson(float64(v.ieee754));
      } catch (e) {
        caught = e;
      }
      expect(isAnchorSyncError(caught, 'ERR_INVALID_ARGUMENT'), v.ieee754).toBe(true);
    }
  });
});

describe('es6testfile100m.txt, first 1000 lines', () => {
  const lines = readFileSync(data('es6testfile_first1000.txt'), 'ascii').split('\n').filter((l) => l !== '');

  it('has 1000 lines and every number serialises to the expected text', () => {
    expect(lines).toHaveLength(1000);
    const wrong: string[] = [];
    for (const line of lines) {
      const [bits, expected, extra] = line.split(',');
      if (bits === undefined || expected === undefined || extra !== undefined) throw new Error(`bad line: ${line}`);
      const got = canonicalJson(float64(bits));
      if (got !== expected) wrong.push(`${bits}: expected ${expected}, got ${got}`);
    }
    expect(wrong).toEqual([]);
  });
});

describe('pack signing bytes (v1 wire format)', () => {
  // RFC 8032 §7.1 TEST 1 and TEST 2 public keys.
  const pub1 = bytesToB64u(hex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'));
  const pub2 = bytesToB64u(hex('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c'));
  const prev = bytesToB64u(new Uint8Array(32).fill(0x11));

  // Members in shuffled insertion order; the anchors array is data, so its order is kept.
  const golden: AnchorPack = {
    sig: [{ sig: bytesToB64u(new Uint8Array(64).fill(7)), alg: 'Ed25519', kid: 'root-2026' }],
    seq: 7,
    anchors: [
      { updatedAt: '2026-11-20T09:30:00.000Z', status: 'REVOKED', pubB64u: pub2, kid: 'ops-2025', orgId: 'org-b', createdAt: '2025-01-02T03:04:05.678Z' },
      { kid: 'root-2026', orgId: 'org-b', status: 'ACTIVE', createdAt: '2026-01-01T00:00:00.000Z', pubB64u: pub1, updatedAt: '2026-01-01T00:00:00.000Z' },
    ],
    prev,
    orgId: 'org-b',
    expiresAt: '2026-12-02T00:00:00.000Z',
    ns: 'prod',
    issuedAt: '2026-11-25T00:00:00.000Z',
    v: 1,
  };

  const expectedText =
    'anchorsync/pack/v1\n' +
    '{"anchors":[' +
    '{"createdAt":"2025-01-02T03:04:05.678Z","kid":"ops-2025","orgId":"org-b","pubB64u":"PUAXw-hDiVqStwqnTRt-vJyYLM8uxJaMwM1V8Sr0Zgw","status":"REVOKED","updatedAt":"2026-11-20T09:30:00.000Z"},' +
    '{"createdAt":"2026-01-01T00:00:00.000Z","kid":"root-2026","orgId":"org-b","pubB64u":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","status":"ACTIVE","updatedAt":"2026-01-01T00:00:00.000Z"}' +
    '],"expiresAt":"2026-12-02T00:00:00.000Z","issuedAt":"2026-11-25T00:00:00.000Z","ns":"prod","orgId":"org-b",' +
    '"prev":"ERERERERERERERERERERERERERERERERERERERERERE","seq":7,"v":1}';
  // SHA-256 of expectedText, base64url; cross-checked once with OpenSSL (node:crypto 'sha256').
  const expectedHash = 'wXGfI4EcrvR_AZIY3hu4ZoImFHfn4a4DWtbD07udX4M';
  // What a signature covers: 'anchorsync/pack-sig/v1\n' and the 32 digest bytes, hex.
  const expectedMessage = '616e63686f7273796e632f7061636b2d7369672f76310a' + 'c1719f23811caef47f019218de1bb86682261477e7e1ae035ad6c3d3bb9d5f83';

  /** The same JSON value with every object's members inserted in reverse order. */
  function reversed<T>(value: T): T {
    if (Array.isArray(value)) return value.map(reversed) as T;
    if (typeof value !== 'object' || value === null) return value;
    return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversed(v)])) as T;
  }

  const text = (pack: AnchorPack | UnsignedAnchorPack): string => new TextDecoder('utf-8', { fatal: true }).decode(packSigningBytes(pack));

  it('the golden pack is a valid v1 pack', () => {
    expect(validatePack(golden)).toEqual(golden);
  });

  it('gives exactly the pinned signing bytes and pack hash', () => {
    expect(text(golden)).toBe(expectedText);
    expect(packSigningBytes(golden)).toEqual(utf8(expectedText));
    expect(packHash(golden)).toBe(expectedHash);
    expect(Buffer.from(packSignatureMessage(packDigest(packSigningBytes(golden)))).toString('hex')).toBe(expectedMessage);
  });

  it('a signed golden pack verifies with OpenSSL Ed25519 over that message (another implementation can check our packs)', () => {
    const seed = new Uint8Array(32).fill(7);
    const signed = signAnchorPack({ ...golden, sig: [] }, [{ kid: 'interop', secretKey: seed }]);
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: bytesToB64u(publicKeyOf(seed)) }, format: 'jwk' });
    const sig = Buffer.from(signed.sig[0]!.sig, 'base64url');
    expect(nativeVerify(null, Buffer.from(expectedMessage, 'hex'), key, sig)).toBe(true);
    expect(nativeVerify(null, packSigningBytes(golden), key, sig)).toBe(false);
  });

  it('member insertion order does not change the bytes', () => {
    const shuffled = reversed(golden);
    expect(Object.keys(shuffled)[0]).toBe('v');
    expect(packSigningBytes(shuffled)).toEqual(packSigningBytes(golden));
    expect(packSigningBytes(JSON.parse(JSON.stringify(golden)) as AnchorPack)).toEqual(packSigningBytes(golden));
  });

  it('sig does not change the bytes: none, empty, or other signatures', () => {
    const { sig: _sig, ...unsigned } = golden;
    const others: AnchorPack = { ...golden, sig: [...golden.sig, { kid: 'ops-2025', alg: 'Ed25519', sig: bytesToB64u(new Uint8Array(64).fill(9)) }] };
    expect(text(unsigned)).toBe(expectedText);
    expect(text({ ...golden, sig: [] })).toBe(expectedText);
    expect(text(others)).toBe(expectedText);
    expect(packHash(others)).toBe(expectedHash);
  });

  it('every signed member changes the bytes', () => {
    const variants: AnchorPack[] = [
      { ...golden, seq: 8 },
      { ...golden, ns: 'staging' },
      { ...golden, expiresAt: '2026-12-03T00:00:00.000Z' },
      { ...golden, anchors: [...golden.anchors].reverse() },
      { ...golden, anchors: golden.anchors.map((a) => ({ ...a, status: 'RETIRED' as const })) },
    ];
    const { prev: _prev, ...withoutPrev } = golden;
    variants.push(withoutPrev);
    for (const v of variants) expect(text(v)).not.toBe(expectedText);
  });
});
