/**
 * Using synced anchors (DESIGN.md "Using anchors"): is a peer's key usable
 * for a signature, and if not, why; plus a one-call check of a message
 * signed by a peer organisation.
 */
import { getAnchors, getSyncState } from './anchor-registry.ts';
import { b64uToBytes, utf8 } from './encoding.ts';
import { ed25519VerifyDetailed, isValidPublicKey } from './ed25519.ts';
import { AnchorSyncError } from './errors.ts';
import type { StorageDriver } from './storage.ts';
import { parseTimestamp, systemClock } from './time.ts';
import type { Anchor } from './types.ts';
import { validateId } from './validate.ts';

/** Why a peer key may not be used. */
export type KeyRejection = 'UNKNOWN_ORG' | 'UNKNOWN_KID' | 'REVOKED' | 'RETIRED' | 'STALE';

/** The answer of {@link resolvePeerKey}; `anchor` is set whenever the kid is known. */
export type KeyUsability =
  | { usable: true; anchor: Anchor }
  | { usable: false; reason: KeyRejection; anchor?: Anchor };

export interface ResolveKeyOptions {
  /**
   * When the signature was made: RFC 3339 text or epoch ms. It only matters
   * for RETIRED keys. It must come from a source the verifier trusts (a time
   * it observed itself, a trusted timestamp), never from the signed message
   * alone: whoever holds a retired secret can claim any time.
   */
  signedAt?: string | number;
  /** The current time in epoch ms; default: the system clock. */
  now?: number;
  /**
   * Use keys of a peer whose last accepted pack has expired. Off by default:
   * a frozen peer may be hiding a revocation from us (rule 3, freeze attack).
   */
  allowStale?: boolean;
}

/** What {@link judgeAnchor} needs besides the anchor; times in epoch ms. */
export interface JudgeOptions {
  signedAt?: number;
  now: number;
  /** True when the org's last accepted pack has expired. */
  stale?: boolean;
  allowStale?: boolean;
}

/**
 * Decides whether one known anchor is usable. Pure: no storage, no clock.
 * Order: unknown kid, REVOKED (final, even for a stale peer and with
 * `allowStale`), STALE, then RETIRED.
 *
 * @example
 * ```ts
 * judgeAnchor(anchor, { now: Date.now(), signedAt: Date.parse('2026-01-01T00:00:00.000Z') })
 * // { usable: false, reason: 'RETIRED', anchor } when retired before that time
 * ```
 */
export function judgeAnchor(anchor: Anchor | undefined, options: JudgeOptions): KeyUsability {
  if (!anchor) return { usable: false, reason: 'UNKNOWN_KID' };
  // Rule 4: a revoked key is refused for every signature, past or future.
  if (anchor.status === 'REVOKED') return { usable: false, reason: 'REVOKED', anchor };
  // A freeze attack could be hiding a revocation of this very key.
  if (options.stale === true && options.allowStale !== true) return { usable: false, reason: 'STALE', anchor };
  if (anchor.status === 'RETIRED') {
    const retiredAt = parseTimestamp(anchor.updatedAt);
    const { signedAt, now } = options;
    // Only signatures made strictly before retirement count, and a claimed
    // time later than now cannot be a time anyone observed.
    const before = signedAt !== undefined && retiredAt !== undefined && signedAt < retiredAt && signedAt <= now;
    return before ? { usable: true, anchor } : { usable: false, reason: 'RETIRED', anchor };
  }
  return { usable: true, anchor };
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** RFC 3339 (any fraction length, Z or numeric offset) to epoch ms, or undefined. */
function parseRfc3339(text: string): number | undefined {
  const strict = parseTimestamp(text);
  if (strict !== undefined) return strict;
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  const ms = Number(((m[7] ?? '') + '000').slice(0, 3));
  const local = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const check = new Date(local);
  // Reject what Date.UTC would silently normalise (Feb 30, hour 24, second 60).
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return undefined;
  if (check.getUTCHours() !== h || check.getUTCMinutes() !== mi || check.getUTCSeconds() !== s) return undefined;
  if (m[8] !== undefined) return local;
  const oh = Number(m[10]);
  const om = Number(m[11]);
  if (oh > 23 || om > 59) return undefined;
  return local - (m[9] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
}

function signedAtMs(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'number' ? (Number.isFinite(value) ? value : undefined) : typeof value === 'string' ? parseRfc3339(value) : undefined;
  if (ms === undefined) {
    throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'signedAt must be an RFC 3339 timestamp or finite epoch ms');
  }
  return ms;
}

function nowMs(value: number | undefined): number {
  if (value === undefined) return systemClock();
  if (!Number.isFinite(value)) throw new AnchorSyncError('ERR_INVALID_ARGUMENT', 'now must be finite epoch ms');
  return value;
}

/**
 * Tells whether the key `kid` of peer `orgId` may be used to check a
 * signature now (and, for a RETIRED key, one made at `signedAt`).
 *
 * - `UNKNOWN_ORG`: no sync state and no anchors for (ns, orgId).
 * - `UNKNOWN_KID`: the org is known, the kid is not.
 * - `REVOKED`: never usable, whatever the options.
 * - `STALE`: the org's last accepted pack has expired (`now >= expiresAt`)
 *   and `allowStale` is not set; reported even for ACTIVE keys. Anchors
 *   stored without a sync state carry no expiry and are never stale.
 * - `RETIRED`: usable only when `signedAt` is given, not after `now`, and
 *   strictly before the anchor's `updatedAt` (its retirement time).
 *
 * Bad data never throws; only a malformed id, `signedAt` or `now` does.
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` for a malformed ns, orgId,
 * kid, `signedAt` or `now`; `ERR_STORAGE` / `ERR_STORAGE_CORRUPT` from storage.
 * @example
 * ```ts
 * const r = await resolvePeerKey(storage, 'prod', 'org-a', 'k1', { signedAt: receivedAt })
 * if (!r.usable) console.warn(r.reason) // 'RETIRED'
 * ```
 */
export async function resolvePeerKey(
  storage: StorageDriver,
  ns: string,
  orgId: string,
  kid: string,
  options: ResolveKeyOptions = {},
): Promise<KeyUsability> {
  validateId(ns, 'ns');
  validateId(orgId, 'orgId');
  validateId(kid, 'kid');
  const signedAt = signedAtMs(options.signedAt);
  const now = nowMs(options.now);
  const state = await getSyncState(storage, ns, orgId);
  const anchors = await getAnchors(storage, ns, orgId);
  if (state === undefined && anchors.length === 0) return { usable: false, reason: 'UNKNOWN_ORG' };
  const expiresAt = state === undefined ? undefined : parseTimestamp(state.expiresAt);
  const judge: JudgeOptions = { now, stale: expiresAt !== undefined && now >= expiresAt };
  if (signedAt !== undefined) judge.signedAt = signedAt;
  if (options.allowStale !== undefined) judge.allowStale = options.allowStale;
  return judgeAnchor(anchors.find((a) => a.kid === kid), judge);
}

/** A message said to be signed by key `kid` of peer `orgId`. */
export interface VerifyMessageInput {
  ns: string;
  orgId: string;
  kid: string;
  /** The signed bytes; a string is taken as its UTF-8 bytes. */
  message: Uint8Array | string;
  /** 64-byte Ed25519 signature; a string is unpadded base64url. */
  signature: Uint8Array | string;
  /** When it was signed, from a trusted source; see {@link ResolveKeyOptions.signedAt}. */
  signedAt?: string | number;
}

export interface VerifyMessageOptions {
  now?: number;
  allowStale?: boolean;
}

/** The answer of {@link verifyPeerMessage}; `anchor` is set whenever the kid is known. */
export type MessageVerdict =
  | { ok: true; anchor: Anchor }
  | { ok: false; reason: KeyRejection | 'BAD_SIGNATURE' | 'BAD_KEY'; anchor?: Anchor };

/**
 * Checks a message signed by a peer organisation: the key must be usable
 * ({@link resolvePeerKey}) and the signature valid under strict Ed25519.
 * A malformed or wrong-length signature, or a wrong one, is `BAD_SIGNATURE`;
 * a stored key that is not a valid, non-small-order point is `BAD_KEY`.
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` only for malformed ids,
 * `signedAt` or `now`; storage errors pass through.
 * @example
 * ```ts
 * const v = await verifyPeerMessage(storage, { ns: 'prod', orgId: 'org-a', kid: 'k1', message: body, signature: sigB64u })
 * if (!v.ok) return new Response(v.reason, { status: 401 })
 * ```
 */
export async function verifyPeerMessage(
  storage: StorageDriver,
  input: VerifyMessageInput,
  options: VerifyMessageOptions = {},
): Promise<MessageVerdict> {
  const resolveOptions: ResolveKeyOptions = {};
  if (input.signedAt !== undefined) resolveOptions.signedAt = input.signedAt;
  if (options.now !== undefined) resolveOptions.now = options.now;
  if (options.allowStale !== undefined) resolveOptions.allowStale = options.allowStale;
  const key = await resolvePeerKey(storage, input.ns, input.orgId, input.kid, resolveOptions);
  if (!key.usable) return key.anchor ? { ok: false, reason: key.reason, anchor: key.anchor } : { ok: false, reason: key.reason };
  const anchor = key.anchor;

  const signature = typeof input.signature === 'string' ? b64uToBytes(input.signature) : input.signature;
  if (!(signature instanceof Uint8Array) || signature.length !== 64) return { ok: false, reason: 'BAD_SIGNATURE', anchor };
  const publicKey = b64uToBytes(anchor.pubB64u);
  if (!publicKey || !isValidPublicKey(publicKey)) return { ok: false, reason: 'BAD_KEY', anchor };
  const message = typeof input.message === 'string' ? utf8(input.message) : input.message;
  // The SDK's own signed bytes (pack signatures) start with `anchorsync/`: such a
  // signature is never a message from the peer, whatever it covers.
  if (startsWithReserved(message)) return { ok: false, reason: 'BAD_SIGNATURE', anchor };

  const outcome = ed25519VerifyDetailed(signature, message, publicKey);
  if (outcome.ok) return { ok: true, anchor };
  const reason = outcome.reason === 'BAD_KEY' || outcome.reason === 'WEAK_KEY' ? 'BAD_KEY' : 'BAD_SIGNATURE';
  return { ok: false, reason, anchor };
}

/** `anchorsync/` in ASCII: the prefix of everything the SDK itself signs. */
const RESERVED = [97, 110, 99, 104, 111, 114, 115, 121, 110, 99, 47];

function startsWithReserved(message: Uint8Array): boolean {
  if (!(message instanceof Uint8Array) || message.length < RESERVED.length) return false;
  return RESERVED.every((byte, i) => message[i] === byte);
}
