/**
 * A fast path for the one JSON value canonicalised in bulk: the signed part
 * of an anchor pack. It copies the body into fresh objects whose members are
 * inserted in RFC 8785 order and lets the platform's JSON.stringify write
 * them; for anything outside the v1 pack schema it returns `undefined` and
 * the caller falls back to `canonicalize`.
 *
 * Why the output is RFC 8785: inside the schema every value is a string or
 * a safe integer, and every object a plain one with fixed ASCII member names.
 * RFC 8785 writes strings as ECMAScript JSON.stringify does once lone
 * surrogates are excluded (3.2.2.2, refused here), integers as their
 * shortest decimal form (3.2.2.3, what JSON.stringify gives), and members
 * sorted by UTF-16 code units (3.2.3); JSON.stringify keeps insertion order
 * for non-index names. test/perf/fast-canonical.test.ts checks it byte for
 * byte against `canonicalize` on the RFC 8785 test data and generated packs.
 */

import type { UnsignedAnchorPack } from './types.ts';

type Plain = Record<string, unknown>;

// Member names in RFC 8785 order (UTF-16 code units); `prev` is the one optional member.
const ANCHOR = ['createdAt', 'kid', 'orgId', 'pubB64u', 'status', 'updatedAt'];
const BODY = ['anchors', 'expiresAt', 'issuedAt', 'ns', 'orgId', 'prev', 'seq', 'v'];

/** Values the fast path writes: well-formed strings (no lone surrogates; `isWellFormed` is ES2024, canonicalize relies on it too) and safe integers. */
function isScalar(value: unknown): boolean {
  return typeof value === 'string' ? (value as unknown as { isWellFormed(): boolean }).isWellFormed() : Number.isSafeInteger(value);
}

/**
 * `value` with its members in `names` order, when it is a plain data object
 * (no class, no toJSON) with exactly those members, each a scalar; otherwise
 * `undefined`. Each member is read once into a copy, so the value checked is
 * the value written.
 */
function inOrder(value: unknown, names: readonly string[], optional?: string): Plain | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const proto = Object.getPrototypeOf(value) as unknown;
  if ((proto !== Object.prototype && proto !== null) || (value as Plain).toJSON !== undefined) return undefined;
  const has = optional !== undefined && Object.prototype.hasOwnProperty.call(value, optional);
  const own = Object.keys(value);
  if (own.length !== names.length - (optional !== undefined && !has ? 1 : 0)) return undefined;
  const copy: Plain = {};
  for (const name of names) {
    if (name === optional && !has) continue;
    if (!Object.prototype.hasOwnProperty.call(value, name)) return undefined;
    const member = (value as Plain)[name];
    if (name !== 'anchors' && !isScalar(member)) return undefined;
    copy[name] = member;
  }
  return copy;
}

/**
 * RFC 8785 text of an unsigned pack body `{ v, ns, orgId, seq, issuedAt,
 * expiresAt, prev?, anchors }`, or `undefined` when the value is outside the
 * v1 schema: another member set, a value that is not a string or a safe
 * integer, a lone surrogate, an array hole, a non-plain object. Packs that
 * `validatePack` returned take the faster `validPackBodyJson` instead.
 *
 * @example
 * ```ts
 * const text = packBodyJson(unsignedPart(pack)) ?? canonicalize(unsignedPart(pack))
 * ```
 */
export function packBodyJson(body: unknown): string | undefined {
  const copy = inOrder(body, BODY, 'prev');
  const anchors = copy?.anchors;
  if (!Array.isArray(anchors) || Object.getPrototypeOf(anchors) !== Array.prototype || (anchors as unknown as Plain).toJSON !== undefined) return undefined;
  const sorted: Plain[] = [];
  for (let i = 0; i < anchors.length; i++) {
    // `in` refuses holes, which canonicalize would write as null.
    const anchor = i in anchors ? inOrder(anchors[i], ANCHOR) : undefined;
    if (!anchor) return undefined;
    sorted.push(anchor);
  }
  copy!.anchors = sorted;
  return JSON.stringify(copy);
}

/**
 * RFC 8785 text of the signed part of a pack that `validatePack` returned
 * (and nobody changed since), written by concatenation, as pieces of at
 * most 512 anchors whose concatenation is the text: about four times faster
 * than `packBodyJson`. Pieces, each one flat string, keep a 100,000-anchor
 * pack from becoming one string of a million joins that the encoder must
 * walk (3x slower at that size). Exact because validation leaves nothing to escape or reorder:
 * every string is an id (`[A-Za-z0-9._~@+-]`), base64url, a fixed-form
 * timestamp or a status word, `seq` is a safe integer (written as JSON
 * writes it) and `v` is 1. test/perf/fast-canonical.test.ts checks it byte
 * for byte against `canonicalize` on generated packs.
 */
export function validPackBodyJson(pack: UnsignedAnchorPack): string[] {
  const { anchors } = pack;
  const pieces = ['{"anchors":['];
  for (let from = 0; from < anchors.length; from += PIECE) {
    const part: string[] = [];
    for (let i = from; i < anchors.length && i < from + PIECE; i++) {
      const a = anchors[i]!;
      part.push(
        '{"createdAt":"' + a.createdAt + '","kid":"' + a.kid + '","orgId":"' + a.orgId + '","pubB64u":"' + a.pubB64u +
          '","status":"' + a.status + '","updatedAt":"' + a.updatedAt + '"}',
      );
    }
    // join writes one flat string: no tree of joins left for the encoder to walk.
    pieces.push((from === 0 ? '' : ',') + part.join(','));
  }
  pieces.push(
    '],"expiresAt":"' + pack.expiresAt + '","issuedAt":"' + pack.issuedAt + '","ns":"' + pack.ns + '","orgId":"' + pack.orgId +
      (pack.prev === undefined ? '"' : '","prev":"' + pack.prev + '"') + ',"seq":' + pack.seq + ',"v":1}',
  );
  return pieces;
}

/** Anchors per piece of `validPackBodyJson`. */
const PIECE = 512;
