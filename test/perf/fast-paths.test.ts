/**
 * Shortcuts taken on the hot path give what the general path gives: the
 * straight-line anchor check accepts exactly what the explaining Checker
 * accepts, and returns the same record; mergeAnchors into an empty store (a first pack, sorted as publishers send
 * it) skips the Map, and must still return the same list, counts and flags
 * as the general merge, never share the caller's array, and leave unsorted
 * or repeated input to the general path.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToB64u, isAnchorSyncError, mergeAnchors, validatePack, type Anchor } from '@anchorsync/core';
import { validPackSigningBytes } from '../../packages/core/src/canonical.ts';
import { explainAnchor, quickAnchor } from '../../packages/core/src/validate.ts';

const kidArb = fc.stringMatching(/^[A-Za-z0-9._~@+-]{1,8}$/);
const anchorArb = fc.record({
  kid: kidArb,
  status: fc.constantFrom('ACTIVE', 'RETIRED', 'REVOKED') as fc.Arbitrary<Anchor['status']>,
  key: fc.uint8Array({ minLength: 32, maxLength: 32 }),
});
const toAnchor = (a: { kid: string; status: Anchor['status']; key: Uint8Array }): Anchor => ({
  createdAt: '2026-01-01T00:00:00.000Z',
  kid: a.kid,
  orgId: 'org-a',
  pubB64u: bytesToB64u(a.key),
  status: a.status,
  updatedAt: '2026-01-02T00:00:00.000Z',
});
const byKid = (a: Anchor, b: Anchor): number => (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0);

/** The general merge, forced: one placeholder stored kid (never in the input), removed afterwards. */
function generalMerge(incoming: readonly Anchor[], isBase: boolean) {
  const placeholder: Anchor = { ...toAnchor({ kid: '~placeholder', status: 'ACTIVE', key: new Uint8Array(32) }) };
  const out = mergeAnchors([placeholder], incoming, isBase);
  return { ...out, anchors: out.anchors.filter((a) => a !== placeholder), omitted: out.omitted.filter((k) => k !== placeholder.kid) };
}

describe('mergeAnchors into an empty store', () => {
  it('a sorted first pack gives the general merge\'s anchors, counts and flags, in a new array (500 generated packs)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(anchorArb, { selector: (a) => a.kid, maxLength: 40 }), fc.boolean(), (list, isBase) => {
        const incoming = list.map(toAnchor).filter((a) => a.kid !== '~placeholder').sort(byKid);
        const fast = mergeAnchors([], incoming, isBase);
        const general = generalMerge(incoming, isBase);
        expect(fast.anchors).toEqual(general.anchors);
        expect(fast.counts).toEqual(general.counts);
        expect(fast.changed).toBe(general.changed);
        expect(fast.omitted).toEqual([]);
        expect(fast.anchors).not.toBe(incoming);
      }),
      { numRuns: 500, seed: 1 },
    );
  });

  it('unsorted or repeated input takes the general path: sorted output, and a repeated kid is judged as an update', () => {
    const a = toAnchor({ kid: 'a', status: 'ACTIVE', key: new Uint8Array(32).fill(1) });
    const b = toAnchor({ kid: 'b', status: 'ACTIVE', key: new Uint8Array(32).fill(2) });
    expect(mergeAnchors([], [b, a], true).anchors.map((x) => x.kid)).toEqual(['a', 'b']);
    const twice = mergeAnchors([], [a, { ...a, status: 'REVOKED' }], false);
    expect(twice.anchors.map((x) => x.status)).toEqual(['REVOKED']);
    expect(twice.counts).toMatchObject({ added: 1, updated: 1, revoked: 1 });
    let code: string | undefined;
    try {
      mergeAnchors([], [a, { ...a, pubB64u: b.pubB64u }], false);
    } catch (e) {
      code = isAnchorSyncError(e) ? e.code : 'untyped';
    }
    expect(code).toBe('ERR_PACK_KEY_CHANGED');
  });
});

describe('the straight-line anchor check', () => {
  const good = { orgId: 'org-a', kid: 'k1', pubB64u: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', status: 'RETIRED', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-02-01T00:00:00.000Z' };
  const members = Object.keys(good);
  const odd = fc.oneof(
    // Valid timestamps either side of the good ones: updatedAt before createdAt must be refused.
    { arbitrary: fc.integer({ min: 1.76e12, max: 1.775e12 }).map((ms) => new Date(ms).toISOString()), weight: 4 },
    fc.string({ maxLength: 50 }),
    fc.stringMatching(/^[A-Za-z0-9._~@+\-:/ ]{0,130}$/),
    fc.constantFrom('', 'ACTIVE', 'REVOKED', 'active', '2026-02-30T00:00:00.000Z', '2025-12-31T23:59:59.999Z', '2026-01-01T00:00:00.000Z', '2026-01-01T24:00:00.000Z', 'k'.repeat(128), 'k'.repeat(129), '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURp', '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUR'),
    fc.integer(),
    fc.constantFrom(null, undefined, true, [], {}),
  );
  const mutated = fc.tuple(fc.constantFrom('set', 'delete', 'add', 'hidden', 'proto', 'array'), fc.constantFrom(...members), odd).map(([how, member, value]) => {
    const a: Record<string, unknown> = { ...good };
    if (how === 'set') a[member] = value;
    else if (how === 'delete') delete a[member];
    else if (how === 'add') a.extra = value;
    else if (how === 'hidden') {
      // An unknown member beside a required one made non-enumerable: the own-member count must still see it.
      a.extra = value;
      Object.defineProperty(a, member, { enumerable: false });
    } else if (how === 'proto') return Object.assign(Object.create({ [member]: good[member as keyof typeof good] }) as object, { ...a, [member]: undefined });
    else return Object.values(a);
    return a;
  });

  it('accepts exactly what the Checker accepts, with the same record (5,000 generated anchors, good and mutated)', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(mutated, fc.constant(good)), (value) => {
        let reference: Anchor | string;
        try {
          reference = explainAnchor(value);
        } catch (e) {
          reference = isAnchorSyncError(e) ? e.code : 'untyped';
        }
        const quick = quickAnchor(value);
        if (typeof reference === 'string') expect(quick).toBeUndefined();
        else {
          accepted++;
          expect(quick).toEqual(reference);
          expect(Object.keys(quick!)).toEqual(['createdAt', 'kid', 'orgId', 'pubB64u', 'status', 'updatedAt']);
        }
      }),
      { numRuns: 5_000, seed: 99 },
    );
    expect(accepted).toBeGreaterThan(300);
  });
});

describe('packs with hidden members, and writer misuse', () => {
  const pack = () => ({
    v: 1,
    ns: 'prod',
    orgId: 'org-a',
    seq: 1,
    issuedAt: '2026-11-25T00:00:00.000Z',
    expiresAt: '2026-12-02T00:00:00.000Z',
    anchors: [{ orgId: 'org-a', kid: 'k1', pubB64u: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', status: 'ACTIVE', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' }],
    sig: [] as unknown[],
  });
  const codeOf = (f: () => unknown): string | undefined => {
    try {
      f();
      return undefined;
    } catch (e) {
      return isAnchorSyncError(e) ? e.code : 'untyped';
    }
  };

  it('an unknown member is refused even when a required member is made non-enumerable to keep the count', () => {
    const p: Record<string, unknown> = { ...pack(), bogus: 1 };
    Object.defineProperty(p, 'sig', { enumerable: false });
    expect(codeOf(() => validatePack(p))).toBe('ERR_PACK_SCHEMA');
    expect(codeOf(() => validatePack(pack()))).toBeUndefined();
  });

  it('the concatenating writer refuses a validated pack changed afterwards to hold non-ASCII text, instead of cutting its bytes', () => {
    const validated = validatePack(pack());
    (validated.anchors[0] as { kid: string }).kid = 'k\u00e9';
    expect(codeOf(() => validPackSigningBytes(validated))).toBe('ERR_INTERNAL');
  });
});
