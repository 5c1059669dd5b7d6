/**
 * The responder's schema check of a request (protocol.ts). Strict: exactly
 * the members of the op, each of its type and size, ids through core's
 * `validateId`. Runs after the envelope and size checks.
 */
import { AnchorSyncError, b64uToBytes, validateId } from '@anchorsync/core';
import { isPlainObject } from './plain-data.ts';
import { EXTENSION_OP, type BuiltinOp, type PostRequest } from './protocol.ts';

/** Checks one member: returns its value (bytes for `messageB64u`), or throws naming it. */
type Check = (value: unknown, name: string) => unknown;

function invalid(name: string): never {
  throw new AnchorSyncError('ERR_INVALID_ARGUMENT', `request: ${name} is missing or malformed`);
}

const id: Check = (value, name) => validateId(value, name);
const optionalId: Check = (value, name) => (value === undefined ? value : validateId(value, name));

/** A non-empty string of at most `max` characters, all matching `pattern`. */
function text(value: unknown, name: string, max: number, pattern = /^/): unknown {
  return typeof value === 'string' && value.length > 0 && value.length <= max && pattern.test(value) ? value : invalid(name);
}

/**
 * Members each op allows besides the envelope; a check that refuses
 * `undefined` makes its member required. Plain functions only: nothing here
 * runs at import.
 */
const MEMBERS: Readonly<Record<BuiltinOp, Readonly<Record<string, Check>>>> = {
  pull: {
    ns: id,
    orgId: id,
    since: (value, name) => (Number.isSafeInteger(value) && (value as number) >= 0 ? value : invalid(name)),
    sinceHash: (value, name) => (value === undefined ? value : text(value, name, 128, /^[A-Za-z0-9_-]+$/)),
    token: (value, name) => (value === undefined ? value : text(value, name, 1024)),
  },
  push: { ns: id, orgId: id, pack: (value, name) => (value === undefined ? invalid(name) : value) },
  verify: {
    ns: id,
    orgId: id,
    kid: id,
    // 64 bytes are 86 base64url characters; core answers BAD_SIGNATURE for a wrong length.
    signature: (value, name) => text(value, name, 128),
    message: (value, name) => (value === undefined || typeof value === 'string' ? value : invalid(name)),
    messageB64u: (value, name) => (value === undefined ? value : (typeof value === 'string' && b64uToBytes(value)) || invalid(name)),
    signedAt: (value, name) =>
      value === undefined || (typeof value === 'string' && value.length <= 64) || (typeof value === 'number' && Number.isFinite(value)) ? value : invalid(name),
  },
  peers: { ns: optionalId },
  anchors: { ns: id, orgId: id },
  'sync-state': { ns: id, orgId: id },
};

/** An extension op (`x-...`) takes only `params`, an object, `{}` when absent. */
const EXTENSION_MEMBERS: Readonly<Record<string, Check>> = {
  params: (value, name) => (value === undefined ? {} : isPlainObject(value) ? value : invalid(name)),
};

/**
 * The request in `data`, whose envelope (`anchorsync: 1`, a valid id) was
 * already checked.
 *
 * @throws {AnchorSyncError} naming the first problem.
 * @example
 * ```ts
 * parseRequest({ anchorsync: 1, id: 'a.1', op: 'anchors', ns: 'prod', orgId: 'org-a' })
 * ```
 */
export function parseRequest(data: Record<string, unknown>): PostRequest {
  const op = data.op;
  const members = typeof op === 'string' && EXTENSION_OP.test(op) ? EXTENSION_MEMBERS : Object.hasOwn(MEMBERS, op as string) ? MEMBERS[op as BuiltinOp] : invalid('op');
  for (const name of Object.keys(data)) if (!Object.hasOwn(members, name) && name !== 'anchorsync' && name !== 'id' && name !== 'op') invalid(name);
  const request: Record<string, unknown> = { op };
  for (const [name, check] of Object.entries(members)) {
    const value = check(data[name], name);
    if (value !== undefined) request[name] = value;
  }
  if (op === 'verify' && (request.message === undefined) === (request.messageB64u === undefined)) invalid('message or messageB64u (exactly one)');
  return request as PostRequest;
}
