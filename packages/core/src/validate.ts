/**
 * Runtime validators for every value that crosses a trust boundary: packs
 * from the network and records read back from storage. Strict: unknown
 * members, wrong types, non-canonical base64url, bad timestamps and oversize
 * values are refused (DESIGN.md rule 1).
 */
import { isB64uOfLength } from './encoding.ts';
import { AnchorSyncError, type AnchorSyncErrorCode } from './errors.ts';
import { MAX_ANCHORS_PER_PACK, MAX_ID_LENGTH, MAX_SIGNATURES_PER_PACK } from './limits.ts';
import { isTimestamp } from './time.ts';
import type { Anchor, AnchorPack, AnchorStatus, PackSignature, SignerRecord, SyncState, TrustAnchor } from './types.ts';

type Obj = Record<string, unknown>;

const STATUSES: ReadonlySet<string> = new Set<AnchorStatus>(['ACTIVE', 'RETIRED', 'REVOKED']);
// Ids become parts of storage keys and URLs: printable ASCII without ':' , '/' or spaces.
const ID = /^[A-Za-z0-9._~@+-]+$/;
const ANCHOR_MEMBERS = ['orgId', 'kid', 'pubB64u', 'status', 'createdAt', 'updatedAt'];

function hasAll(obj: Obj, members: readonly string[]): boolean {
  for (let i = 0; i < members.length; i++) if (!Object.hasOwn(obj, members[i]!)) return false;
  return true;
}

/**
 * An anchor that passes every check of `Checker.anchor`, copied in RFC 8785
 * member order, or `undefined` for anything else, when the Checker then
 * says what is wrong. Straight-line checks with no paths: a pack of 100,000
 * anchors spends most of its validation here. Same answers as the Checker
 * (test/perf/fast-paths.test.ts). Internal.
 */
export function quickAnchor(value: unknown): Anchor | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const a = value as Obj;
  if (Object.getOwnPropertyNames(a).length !== 6 || !hasAll(a, ANCHOR_MEMBERS)) return undefined;
  const { orgId, kid, pubB64u, status, createdAt, updatedAt } = a;
  if (
    typeof orgId !== 'string' || orgId.length === 0 || orgId.length > MAX_ID_LENGTH || !ID.test(orgId) ||
    typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_ID_LENGTH || !ID.test(kid) ||
    typeof pubB64u !== 'string' || !isB64uOfLength(pubB64u, 32) ||
    typeof status !== 'string' || !STATUSES.has(status) ||
    typeof createdAt !== 'string' || !isTimestamp(createdAt) ||
    typeof updatedAt !== 'string' || (updatedAt !== createdAt && (!isTimestamp(updatedAt) || updatedAt < createdAt))
  ) {
    return undefined;
  }
  return { createdAt, kid, orgId, pubB64u, status: status as AnchorStatus, updatedAt };
}

/**
 * Paths are literals with `[]` for the element being checked (`at`), filled
 * in only when a check fails: a 100,000-anchor pack builds no path strings.
 */
class Checker {
  /** Index of the array element being checked, for `[]` in paths. */
  at = 0;

  constructor(
    readonly what: string,
    readonly code: AnchorSyncErrorCode,
  ) {}

  fail(path: string, message: string, code: AnchorSyncErrorCode = this.code): never {
    const where = path.replace('[]', `[${this.at}]`);
    throw new AnchorSyncError(code, `${this.what}: ${where} ${message}`, { details: { path: where } });
  }

  object(value: unknown, path: string, members: readonly string[], optional: readonly string[] = []): Obj {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(path, 'must be an object');
    const obj = value as Obj;
    // The common case in one check per member: as many own members (hidden ones
    // too) as required, each of them there, so none is unknown.
    if (Object.getOwnPropertyNames(obj).length === members.length && hasAll(obj, members)) return obj;
    const own = Object.keys(obj);
    let required = 0;
    for (const key of own) {
      if (members.includes(key)) required++;
      else if (!optional.includes(key)) this.fail(`${path}.${key}`, 'is not a v1 member');
    }
    if (required !== members.length) for (const key of members) if (!Object.hasOwn(obj, key)) this.fail(`${path}.${key}`, 'is missing');
    return obj;
  }

  id(value: unknown, path: string): string {
    if (typeof value !== 'string' || value.length === 0) return this.fail(path, 'must be a non-empty string');
    if (value.length > MAX_ID_LENGTH) this.fail(path, `is longer than ${MAX_ID_LENGTH}`, 'ERR_PACK_TOO_LARGE');
    if (!ID.test(value)) this.fail(path, 'has characters outside [A-Za-z0-9._~@+-]');
    return value;
  }

  timestamp(value: unknown, path: string): string {
    if (typeof value !== 'string' || !isTimestamp(value)) {
      this.fail(path, 'must be an RFC 3339 UTC timestamp with milliseconds');
    }
    return value;
  }

  b64u(value: unknown, path: string, bytes: number): string {
    if (typeof value !== 'string' || value.length > 128) return this.fail(path, 'must be base64url');
    if (!isB64uOfLength(value, bytes)) this.fail(path, `must be ${bytes} bytes of unpadded base64url`);
    return value;
  }

  seq(value: unknown, path: string, min = 1): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
      this.fail(path, `must be a safe integer >= ${min}`);
    }
    return value;
  }

  array(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) return this.fail(path, 'must be an array');
    return value;
  }

  status(value: unknown, path: string): AnchorStatus {
    if (typeof value !== 'string' || !STATUSES.has(value)) this.fail(path, 'must be ACTIVE, RETIRED or REVOKED');
    return value as AnchorStatus;
  }

  /** One anchor at `path` (e.g. `pack.anchors[]`, the same for every element). */
  anchor(value: unknown, path: string): Anchor {
    return quickAnchor(value) ?? this.explainAnchor(value, path);
  }

  /** The anchor checks one by one, for the message of the first that fails. */
  explainAnchor(value: unknown, path: string): Anchor {
    const a = this.object(value, path, ANCHOR_MEMBERS);
    const orgId = this.id(a.orgId, `${path}.orgId`);
    const kid = this.id(a.kid, `${path}.kid`);
    const pubB64u = this.b64u(a.pubB64u, `${path}.pubB64u`, 32);
    const status = this.status(a.status, `${path}.status`);
    const createdAt = this.timestamp(a.createdAt, `${path}.createdAt`);
    const updatedAt = this.timestamp(a.updatedAt, `${path}.updatedAt`);
    if (updatedAt < createdAt) this.fail(`${path}.updatedAt`, 'is before createdAt');
    // Members in RFC 8785 order, so a pack's canonical bytes need no reordered copy (fast-canonical.ts).
    return { createdAt, kid, orgId, pubB64u, status, updatedAt };
  }
}

export interface PackLimits {
  maxAnchors?: number;
  maxSignatures?: number;
}

/**
 * Checks that `value` is a well-formed v1 AnchorPack and returns it typed.
 * It checks shape only; signatures and freshness are `verifyAnchorPack`'s
 * and `applyAnchorPack`'s.
 *
 * @throws {AnchorSyncError} `ERR_PACK_SCHEMA`, `ERR_PACK_TOO_LARGE`,
 * `ERR_PACK_FOREIGN_ANCHOR` or `ERR_PACK_DUPLICATE_KID`.
 * @example
 * ```ts
 * const pack = validatePack(JSON.parse(body))
 * ```
 */
export function validatePack(value: unknown, limits: PackLimits = {}): AnchorPack {
  const c = new Checker('pack', 'ERR_PACK_SCHEMA');
  const p = c.object(value, 'pack', ['v', 'ns', 'orgId', 'seq', 'issuedAt', 'expiresAt', 'anchors', 'sig'], ['prev']);
  if (p.v !== 1) c.fail('pack.v', 'must be 1');
  const orgId = c.id(p.orgId, 'pack.orgId');
  const issuedAt = c.timestamp(p.issuedAt, 'pack.issuedAt');
  const expiresAt = c.timestamp(p.expiresAt, 'pack.expiresAt');
  if (expiresAt <= issuedAt) c.fail('pack.expiresAt', 'must be after issuedAt');
  const pack: AnchorPack = {
    v: 1,
    ns: c.id(p.ns, 'pack.ns'),
    orgId,
    seq: c.seq(p.seq, 'pack.seq'),
    issuedAt,
    expiresAt,
    anchors: [],
    sig: [],
  };
  if ('prev' in p) pack.prev = c.b64u(p.prev, 'pack.prev', 32);

  const maxAnchors = Math.min(limits.maxAnchors ?? MAX_ANCHORS_PER_PACK, MAX_ANCHORS_PER_PACK);
  const anchors = c.array(p.anchors, 'pack.anchors');
  if (anchors.length > maxAnchors) c.fail('pack.anchors', `has more than ${maxAnchors} anchors`, 'ERR_PACK_TOO_LARGE');
  // Duplicate kids: publishers send anchors sorted by kid, and a strictly
  // increasing list has none; a Set is built only for a list that is not.
  let kids: Set<string> | undefined;
  let last = '';
  for (let i = 0; i < anchors.length; i++) {
    c.at = i;
    const anchor = c.anchor(anchors[i], 'pack.anchors[]');
    // Rule 1: a pack speaks only for its own organisation.
    if (anchor.orgId !== orgId) c.fail('pack.anchors[].orgId', `is not ${orgId}`, 'ERR_PACK_FOREIGN_ANCHOR');
    if (kids === undefined && anchor.kid <= last && i > 0) kids = new Set(pack.anchors.map((a) => a.kid));
    if (kids) {
      if (kids.has(anchor.kid)) c.fail('pack.anchors[].kid', `repeats ${anchor.kid}`, 'ERR_PACK_DUPLICATE_KID');
      kids.add(anchor.kid);
    }
    last = anchor.kid;
    pack.anchors.push(anchor);
  }

  const maxSigs = Math.min(limits.maxSignatures ?? MAX_SIGNATURES_PER_PACK, MAX_SIGNATURES_PER_PACK);
  const sigs = c.array(p.sig, 'pack.sig');
  if (sigs.length > maxSigs) c.fail('pack.sig', `has more than ${maxSigs} signatures`, 'ERR_PACK_TOO_LARGE');
  for (let i = 0; i < sigs.length; i++) {
    c.at = i;
    const s = c.object(sigs[i], 'pack.sig[]', ['kid', 'alg', 'sig']);
    if (s.alg !== 'Ed25519') c.fail('pack.sig[].alg', 'must be Ed25519');
    const signature: PackSignature = {
      kid: c.id(s.kid, 'pack.sig[].kid'),
      alg: 'Ed25519',
      sig: c.b64u(s.sig, 'pack.sig[].sig', 64),
    };
    pack.sig.push(signature);
  }
  return pack;
}

/** `validateAnchor` by the explaining checks alone, without the straight-line path: the reference it is tested against. Internal. */
export function explainAnchor(value: unknown): Anchor {
  return new Checker('anchor', 'ERR_PACK_SCHEMA').explainAnchor(value, 'anchor');
}

/** Checks one anchor record (from a pack or from storage). */
export function validateAnchor(value: unknown, code: AnchorSyncErrorCode = 'ERR_PACK_SCHEMA'): Anchor {
  return new Checker('anchor', code).anchor(value, 'anchor');
}

/** Checks a stored list of anchors; a bad record means the store is corrupt. */
export function validateStoredAnchors(value: unknown): Anchor[] {
  const c = new Checker('stored anchors', 'ERR_STORAGE_CORRUPT');
  return c.array(value, 'anchors').map((a, i) => ((c.at = i), c.anchor(a, 'anchors[]')));
}

/** Checks a stored sync state. */
export function validateSyncState(value: unknown): SyncState {
  const c = new Checker('stored sync state', 'ERR_STORAGE_CORRUPT');
  const s = c.object(value, 'state', ['ns', 'orgId', 'seq', 'hash', 'issuedAt', 'expiresAt', 'lastSyncAt'], ['token', 'nextSyncAt']);
  const state: SyncState = {
    ns: c.id(s.ns, 'state.ns'),
    orgId: c.id(s.orgId, 'state.orgId'),
    seq: c.seq(s.seq, 'state.seq'),
    hash: c.b64u(s.hash, 'state.hash', 32),
    issuedAt: c.timestamp(s.issuedAt, 'state.issuedAt'),
    expiresAt: c.timestamp(s.expiresAt, 'state.expiresAt'),
    lastSyncAt: c.timestamp(s.lastSyncAt, 'state.lastSyncAt'),
  };
  if (s.token !== undefined) {
    if (typeof s.token !== 'string' || s.token.length > 1024) return c.fail('state.token', 'must be a short string');
    state.token = s.token;
  }
  if (s.nextSyncAt !== undefined) state.nextSyncAt = c.timestamp(s.nextSyncAt, 'state.nextSyncAt');
  return state;
}

/** Checks a stored signer record. */
export function validateSignerRecord(value: unknown): SignerRecord {
  const c = new Checker('stored signer', 'ERR_STORAGE_CORRUPT');
  const s = c.object(value, 'signer', ['kid', 'pubB64u', 'status', 'createdAt', 'updatedAt']);
  return {
    kid: c.id(s.kid, 'signer.kid'),
    pubB64u: c.b64u(s.pubB64u, 'signer.pubB64u', 32),
    status: c.status(s.status, 'signer.status'),
    createdAt: c.timestamp(s.createdAt, 'signer.createdAt'),
    updatedAt: c.timestamp(s.updatedAt, 'signer.updatedAt'),
  };
}

/** Checks a stored (or to-be-pinned) trust anchor. */
export function validateTrustAnchor(value: unknown, code: AnchorSyncErrorCode = 'ERR_STORAGE_CORRUPT'): TrustAnchor {
  const c = new Checker('trust anchor', code);
  const t = c.object(value, 'trustAnchor', ['ns', 'orgId', 'kid', 'pubB64u', 'pinnedAt']);
  return {
    ns: c.id(t.ns, 'trustAnchor.ns'),
    orgId: c.id(t.orgId, 'trustAnchor.orgId'),
    kid: c.id(t.kid, 'trustAnchor.kid'),
    pubB64u: c.b64u(t.pubB64u, 'trustAnchor.pubB64u', 32),
    pinnedAt: c.timestamp(t.pinnedAt, 'trustAnchor.pinnedAt'),
  };
}

/** Checks an id (ns, orgId, kid) given by a caller. */
export function validateId(value: unknown, what: string): string {
  return new Checker(what, 'ERR_INVALID_ARGUMENT').id(value, what);
}
