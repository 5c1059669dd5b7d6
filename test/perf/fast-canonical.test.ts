/**
 * The fast canonical encoder for pack bodies (packages/core/src/fast-canonical.ts)
 * writes exactly the bytes `canonicalize` writes, and hands everything outside
 * the pack schema back to `canonicalize`. Checked on the RFC 8785 test data
 * (every string and number in it, placed in a pack), on fast-check-generated
 * packs, and on generated hostile values. The reference is core's
 * `canonicalJson`, which is `canonicalize` and nothing else.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToB64u, canonicalJson, isAnchorSyncError, PACK_DOMAIN, packSigningBytes, validatePack, type AnchorPack } from '@anchorsync/core';
import { validPackSigningBytes } from '../../packages/core/src/canonical.ts';
import { packBodyJson } from '../../packages/core/src/fast-canonical.ts';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const data = (name: string): URL => new URL(`../vectors/data/jcs/${name}`, import.meta.url);

/** The signed part of a pack, built as core builds it. */
function body(pack: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {
    v: pack.v,
    ns: pack.ns,
    orgId: pack.orgId,
    seq: pack.seq,
    issuedAt: pack.issuedAt,
    expiresAt: pack.expiresAt,
    anchors: pack.anchors,
  };
  if (pack.prev !== undefined) out.prev = pack.prev;
  return out;
}

/** The outcome as comparable text: the bytes in hex, or the refusal code. */
function run(f: () => Uint8Array): string {
  try {
    return `bytes:${Buffer.from(f()).toString('hex')}`;
  } catch (e) {
    if (isAnchorSyncError(e)) return `refused:${e.code}`;
    throw e;
  }
}

/** packSigningBytes (fast path or fallback) against canonicalize alone: same bytes, or the same refusal. */
function expectSameAsReference(pack: Record<string, unknown>, checkValidated = true): 'fast' | 'fallback' {
  const got = run(() => packSigningBytes(pack as unknown as AnchorPack));
  const want = run(() => utf8(PACK_DOMAIN + canonicalJson(body(pack))));
  if (got !== want) expect(got).toBe(want);
  const fast = packBodyJson(body(pack));
  // When the fast path answers, it answers with canonicalize's text.
  if (fast !== undefined && fast !== canonicalJson(body(pack))) expect(fast).toBe(canonicalJson(body(pack)));
  // What verification runs: a value validatePack accepts is written by concatenation, with canonicalize's bytes.
  let validated: AnchorPack | undefined;
  try {
    validated = validatePack(pack);
  } catch (e) {
    if (!isAnchorSyncError(e)) throw e;
  }
  if (validated && checkValidated) {
    validatedSeen++;
    const concatenated = run(() => validPackSigningBytes(validated));
    if (concatenated !== want) expect(concatenated).toBe(want);
  }
  return fast === undefined ? 'fallback' : 'fast';
}

/** How many generated values validatePack accepted (so the check above is known to have run). */
let validatedSeen = 0;

const anchor = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  orgId: 'org-a',
  kid: 'k1',
  pubB64u: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
  status: 'ACTIVE',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...over,
});

const pack = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  v: 1,
  ns: 'prod',
  orgId: 'org-a',
  seq: 7,
  issuedAt: '2026-11-25T00:00:00.000Z',
  expiresAt: '2026-12-02T00:00:00.000Z',
  anchors: [anchor(), anchor({ kid: 'k2', status: 'REVOKED' })],
  sig: [],
  ...over,
});

/** Every string (member names too) and every number in a JSON value. */
function leaves(value: unknown, strings: string[], numbers: number[]): void {
  if (typeof value === 'string') strings.push(value);
  else if (typeof value === 'number') numbers.push(value);
  else if (Array.isArray(value)) for (const v of value) leaves(v, strings, numbers);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      strings.push(k);
      leaves(v, strings, numbers);
    }
  }
}

/** Numbers in the input files, plus 26 Appendix B samples and 1,000 es6testfile lines. */
const NUMBERS = 1_034;

describe('RFC 8785 test data through the pack encoder', () => {
  const names = ['arrays', 'french', 'structures', 'unicode', 'values', 'weird'];
  const strings: string[] = [];
  const numbers: number[] = [];
  for (const name of names) leaves(JSON.parse(readFileSync(data(`input/${name}.json`), 'utf8')), strings, numbers);
  // Appendix B numbers and the first 1,000 lines of es6testfile, as IEEE 754 bit patterns.
  const float64 = (bits: string): number => new DataView(Uint8Array.from(Buffer.from(bits.padStart(16, '0'), 'hex')).buffer).getFloat64(0);
  const appendixB = (JSON.parse(readFileSync(data('rfc8785_appendix_b_numbers.json'), 'utf8')) as { vectors: { ieee754: string }[] }).vectors;
  for (const v of appendixB) numbers.push(float64(v.ieee754));
  for (const line of readFileSync(data('es6testfile_first1000.txt'), 'ascii').split('\n')) if (line) numbers.push(float64(line.split(',')[0]!));

  it('collects the test data it claims to (a truncated file fails here)', () => {
    expect(strings).toHaveLength(51);
    expect(strings.some((s) => /[\u0080-\uffff]/.test(s))).toBe(true);
    expect(numbers).toHaveLength(NUMBERS);
  });

  it('every string of the test data, in every string member of a pack and of an anchor, gives canonicalize\'s bytes', () => {
    const paths = ['ns', 'orgId', 'issuedAt', 'expiresAt', 'prev'];
    const anchorPaths = ['orgId', 'kid', 'pubB64u', 'status', 'createdAt', 'updatedAt'];
    let fast = 0;
    for (const s of strings) {
      for (const p of paths) if (expectSameAsReference(pack({ [p]: s })) === 'fast') fast++;
      for (const p of anchorPaths) if (expectSameAsReference(pack({ anchors: [anchor({ [p]: s }), anchor({ kid: s })] })) === 'fast') fast++;
    }
    // The fast path did the work (well-formed strings are in its domain).
    expect(fast).toBeGreaterThan(strings.length * 10);
  });

  it('every number of the test data as seq and v: safe integers take the fast path, the rest fall back, bytes identical', () => {
    const seen = { fast: 0, fallback: 0 };
    for (const n of numbers) {
      seen[expectSameAsReference(pack({ seq: n }))]++;
      seen[expectSameAsReference(pack({ v: n }))]++;
    }
    expect(seen.fast).toBeGreaterThan(0);
    expect(seen.fallback).toBeGreaterThan(0);
  });

  it('whole test-data documents are not packs: the encoder declines them', () => {
    for (const name of names) expect(packBodyJson(JSON.parse(readFileSync(data(`input/${name}.json`), 'utf8')))).toBeUndefined();
  });
});

describe('generated packs', () => {
  // Strings from the whole of UTF-16, lone surrogates included (canonicalize refuses those).
  const text = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.string(), fc.constantFrom('', '"', '\\', '\u2028', '\ud800', '\udfff\ud800', 'é', '\u0000\u001f\u007f'));
  const int = fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.constantFrom(0, -0, 1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER));
  const anchorArb = fc.record({ orgId: text, kid: text, pubB64u: text, status: text, createdAt: text, updatedAt: text });
  const packArb = fc.record(
    { v: int, ns: text, orgId: text, seq: int, issuedAt: text, expiresAt: text, prev: text, anchors: fc.array(anchorArb, { maxLength: 8 }), sig: fc.constant([]) },
    { requiredKeys: ['v', 'ns', 'orgId', 'seq', 'issuedAt', 'expiresAt', 'anchors', 'sig'] },
  );

  it('packs of any strings and safe integers: the same bytes as canonicalize, or the same refusal', () => {
    const seen = { fast: 0, fallback: 0 };
    fc.assert(
      fc.property(packArb, (p) => {
        seen[expectSameAsReference(p)]++;
      }),
      { numRuns: 1_500, seed: 8785 },
    );
    expect(seen.fast).toBeGreaterThan(100);
    expect(seen.fallback).toBeGreaterThan(100); // lone surrogates
  });

  // Values a hostile or careless caller could put anywhere in a pack.
  const odd = fc.oneof(
    fc.double(),
    fc.constantFrom(NaN, Infinity, -Infinity, -0, 1e21, 0.1, 2 ** 53, -(2 ** 53)),
    fc.bigInt().map((b) => b as unknown),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.constant(() => 1),
    fc.constant(Symbol('s')),
    fc.constant(new Date(0)),
    fc.constant({ toJSON: () => 'replaced' }),
    fc.constant(Object.create(null) as unknown),
    fc.constant(new (class Anchorish {})()),
    fc.constant(new String('boxed')),
    fc.constant(new Number(5)),
    fc.jsonValue(),
    fc.array(fc.jsonValue(), { maxLength: 3 }),
    fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }),
  );

  /** A pack with one member (of the pack or of one anchor) replaced, added or removed. */
  const mutated = fc
    .tuple(fc.constantFrom('replace', 'add', 'remove', 'hole', 'anchor-replace', 'anchor-add', 'anchor-remove', 'proto', 'getter'), fc.string({ maxLength: 12 }), odd, fc.nat(9))
    .map(([how, name, value, pick]) => {
      const p = pack();
      const members = ['v', 'ns', 'orgId', 'seq', 'issuedAt', 'expiresAt', 'anchors', 'prev'];
      const anchorMembers = ['orgId', 'kid', 'pubB64u', 'status', 'createdAt', 'updatedAt'];
      const anchors = p.anchors as Record<string, unknown>[];
      const a = anchors[pick % anchors.length]!;
      switch (how) {
        case 'replace':
          p[members[pick % members.length]!] = value;
          break;
        case 'add':
          p[name] = value;
          break;
        case 'remove':
          delete p[members[pick % members.length]!];
          break;
        case 'hole':
          p.anchors = [anchors[0], , anchors[1]];
          break;
        case 'anchor-replace':
          a[anchorMembers[pick % anchorMembers.length]!] = value;
          break;
        case 'anchor-add':
          a[name] = value;
          break;
        case 'anchor-remove':
          delete a[anchorMembers[pick % anchorMembers.length]!];
          break;
        case 'proto':
          anchors[pick % anchors.length] = Object.assign(Object.create({ inherited: true }) as object, a);
          break;
        case 'getter':
          // Accessors are read like data members: once each, by both encoders.
          Object.defineProperty(a, 'kid', { enumerable: true, get: () => 'from-a-getter' });
          break;
      }
      return p;
    });

  it('hostile values anywhere: the same bytes as canonicalize, or the same ERR_INVALID_ARGUMENT, never an unexpected throw', () => {
    const seen = { fast: 0, fallback: 0 };
    fc.assert(
      fc.property(mutated, (p) => {
        seen[expectSameAsReference(p)]++;
      }),
      { numRuns: 2_000, seed: 6 },
    );
    expect(seen.fast).toBeGreaterThan(50);
    expect(seen.fallback).toBeGreaterThan(500);
    // Values validatePack accepted were also written by concatenation and compared.
    expect(validatedSeen).toBeGreaterThan(300);
  });

  it('the fast path reads each member once (a getter that changes on every read cannot split what is checked from what is written)', () => {
    const a = anchor();
    let reads = 0;
    Object.defineProperty(a, 'status', { enumerable: true, get: () => (++reads === 1 ? 'ACTIVE' : 'REVOKED') });
    const text = packBodyJson(body(pack({ anchors: [a] })));
    expect(reads).toBe(1);
    expect(text).toContain('"status":"ACTIVE"');
  });

  it('validated packs (anchors written without a copy) give canonicalize\'s bytes', () => {
    const id = fc.stringMatching(/^[A-Za-z0-9._~@+-]{1,20}$/);
    const ts = fc.integer({ min: 0, max: 4e12 }).map((ms) => new Date(ms).toISOString());
    const key = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(bytesToB64u);
    const validPack = fc
      .record({
        ns: id,
        orgId: id,
        seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        issuedAt: ts,
        prev: fc.option(key, { nil: undefined }),
        anchors: fc.uniqueArray(fc.record({ kid: id, pubB64u: key, status: fc.constantFrom('ACTIVE', 'RETIRED', 'REVOKED'), at: ts }), { selector: (a) => a.kid, maxLength: 10 }),
      })
      .map((p) => {
        const out: Record<string, unknown> = {
          // Members in a shuffled order, as a peer might send them.
          anchors: p.anchors.map((a) => ({ updatedAt: a.at, status: a.status, orgId: p.orgId, kid: a.kid, createdAt: a.at, pubB64u: a.pubB64u })),
          sig: [],
          v: 1,
          seq: p.seq,
          orgId: p.orgId,
          ns: p.ns,
          expiresAt: new Date(Date.parse(p.issuedAt) + 1).toISOString(),
          issuedAt: p.issuedAt,
        };
        if (p.prev !== undefined) out.prev = p.prev;
        return out;
      });
    fc.assert(
      fc.property(validPack, (p) => {
        const got = Buffer.from(validPackSigningBytes(validatePack(p))).toString('hex');
        expect(got).toBe(Buffer.from(utf8(PACK_DOMAIN + canonicalJson(body(p)))).toString('hex'));
      }),
      { numRuns: 500, seed: 42 },
    );
  });

  it('validated packs of 0, 1, 511, 512, 513 and 1,537 anchors (either side of every piece boundary) give canonicalize\'s bytes', () => {
    for (const n of [0, 1, 511, 512, 513, 1537]) {
      const anchors = Array.from({ length: n }, (_, i) => anchor({ kid: `k${String(i).padStart(5, '0')}`, status: i % 3 === 0 ? 'RETIRED' : 'ACTIVE' }));
      const p = pack({ anchors, ...(n % 2 ? { prev: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' } : {}) });
      const got = Buffer.from(validPackSigningBytes(validatePack(p)));
      expect(got.equals(Buffer.from(utf8(PACK_DOMAIN + canonicalJson(body(p))))), `${n} anchors`).toBe(true);
    }
  });

  it('a polluted Object.prototype.toJSON sends every pack to canonicalize, which honours it', () => {
    const proto = Object.prototype as { toJSON?: () => unknown };
    const clean = Buffer.from(validPackSigningBytes(validatePack(pack())));
    proto.toJSON = () => 'polluted';
    try {
      expect(packBodyJson(body(pack()))).toBeUndefined();
      expectSameAsReference(pack(), false);
      // Verification writes what the pack holds: a polluted prototype cannot turn every pack into the bytes '"polluted"'.
      expect(Buffer.from(validPackSigningBytes(validatePack(pack()))).equals(clean)).toBe(true);
    } finally {
      delete proto.toJSON;
    }
  });

  it('the golden v1 pack keeps its pinned signing bytes through the fast path', () => {
    const p = pack({ prev: 'ERERERERERERERERERERERERERERERERERERERERERE' });
    expect(packBodyJson(body(p))).toBe(canonicalJson(body(p)));
    expect(expectSameAsReference(p)).toBe('fast');
  });
});
