/**
 * The checks both sides run on protocol.ts messages before anything else
 * reads them: is a message ours at all, is an error code one the protocol
 * lets cross, and is a message safe to pass on and log.
 */
import type { AnchorSyncErrorCode } from '@anchorsync/core';
import { MAX_ERROR_MESSAGE_LENGTH, MESSAGE_ID, PROTOCOL_VERSION } from './protocol.ts';

/**
 * True for a code a responder may send (and a client may pass on): the
 * codes {@link WIRE_CODES} marks `true`, listed here so neither side
 * carries the table (a test holds the two equal).
 */
export function isWireCode(value: unknown): value is AnchorSyncErrorCode {
  return SENDABLE_CODES.includes(value);
}

const SENDABLE_CODES: readonly unknown[] = [
  'ERR_PACK_SCHEMA',
  'ERR_PACK_TOO_LARGE',
  'ERR_PACK_FOREIGN_ANCHOR',
  'ERR_PACK_DUPLICATE_KID',
  'ERR_PACK_SIGNATURE',
  'ERR_PACK_ROLLBACK',
  'ERR_PACK_EQUIVOCATION',
  'ERR_PACK_EXPIRED',
  'ERR_PACK_CHAIN',
  'ERR_PACK_LIFECYCLE',
  'ERR_PACK_KEY_CHANGED',
  'ERR_POLICY_DENIED',
  'ERR_POLICY_CAP',
  'ERR_POLICY_WINDOW',
  'ERR_INVALID_ARGUMENT',
  'ERR_NOT_FOUND',
  'ERR_METHOD_NOT_ALLOWED',
  'ERR_TRANSPORT',
  'ERR_INTERNAL',
];

/** A message made safe to pass on and log: bounded, one line. */
export function cleanMessage(message: unknown): string {
  return typeof message === 'string' ? message.slice(0, MAX_ERROR_MESSAGE_LENGTH).replace(/[\0-\x1f\x7f-\x9f\u2028\u2029]/g, ' ') : 'error';
}

/** The envelope test both sides run first, before any walk: is this message ours at all? */
export function envelopeId(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const d = data as { anchorsync?: unknown; id?: unknown };
  return d.anchorsync === PROTOCOL_VERSION && typeof d.id === 'string' && MESSAGE_ID.test(d.id) ? d.id : undefined;
}
