/**
 * Reading and writing the parts of protocol.ts that cross the wire as text:
 * paths, entity tags, plain integers, error codes. Whatever comes from the
 * other side is parsed strictly here, before anything else reads it.
 */
import { PACKS_PATH, type WireCode } from './protocol.ts';

/**
 * True for a code a server may put on the wire (and a client may pass on):
 * the keys of {@link WIRE_STATUS}, written as one pattern so a client need
 * not carry the status table (a test holds the two equal).
 */
export function isWireCode(value: unknown): value is WireCode {
  return typeof value === 'string' && WIRE_CODE.test(value);
}

const WIRE_CODE =
  /^ERR_(PACK_(SCHEMA|FOREIGN_ANCHOR|DUPLICATE_KID|SIGNATURE|EXPIRED|ROLLBACK|EQUIVOCATION|CHAIN|LIFECYCLE|KEY_CHANGED|TOO_LARGE)|POLICY_(DENIED|WINDOW|CAP)|INVALID_ARGUMENT|NOT_FOUND|METHOD_NOT_ALLOWED|UNSUPPORTED_MEDIA_TYPE|INTERNAL)$/;

/** The path of an org's pack log under `base` (no trailing slash). */
export function packsPath(base: string, ns: string, orgId: string): string {
  return `${base}${PACKS_PATH}/${encodeURIComponent(ns)}/${encodeURIComponent(orgId)}`;
}

/** Hashes are base64url: anything else must never reach a header. */
const HASH = /^[A-Za-z0-9_-]{1,128}$/;

/** The entity tag naming the pack at `seq` (a checked safe integer) with hash `hash`, or `undefined` for a malformed hash. */
export function formatEtag(seq: number, hash: string): string | undefined {
  return HASH.test(hash) ? `"${seq}.${hash}"` : undefined;
}

/** A non-negative decimal integer in plain form, or `undefined`. */
export function parseNonNegativeInt(text: string | null): number | undefined {
  if (text === null || !/^(0|[1-9][0-9]{0,15})$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}
