/**
 * The responder's schema check of a request (protocol.ts). Strict: exactly
 * the members of the op, each of its type and size, ids through core's
 * `validateId`. Runs after the envelope and size checks.
 */
import { AnchorSyncError, b64uToBytes, validateId } from '@anchorsync/core';
import { isPlainObject } from './plain-data.ts';
import { BUILTIN_OPS, EXTENSION_OP, type BuiltinOp, type ExtensionOp, type PostRequest } from './protocol.ts';

const ENVELOPE = ['anchorsync', 'id', 'op'];

/** Members each op requires and allows, besides the envelope. */
const MEMBERS: Readonly<Record<BuiltinOp, { required: readonly string[]; optional: readonly string[] }>> = {
  pull: { required: ['ns', 'orgId', 'since'], optional: ['sinceHash', 'token'] },
  push: { required: ['ns', 'orgId', 'pack'], optional: [] },
  verify: { required: ['ns', 'orgId', 'kid', 'signature'], optional: ['message', 'messageB64u', 'signedAt'] },
  peers: { required: [], optional: ['ns'] },
  anchors: { required: ['ns', 'orgId'], optional: [] },
  'sync-state': { required: ['ns', 'orgId'], optional: [] },
};

function invalid(message: string): never {
  throw new AnchorSyncError('ERR_INVALID_ARGUMENT', `request: ${message}`);
}

function members(data: Record<string, unknown>, required: readonly string[], optional: readonly string[]): void {
  for (const name of Object.keys(data)) {
    if (!ENVELOPE.includes(name) && !required.includes(name) && !optional.includes(name)) invalid(`${name} is not a member of this op`);
  }
  for (const name of required) if (!(name in data)) invalid(`${name} is missing`);
}

function boundedString(value: unknown, what: string, max: number, pattern?: RegExp): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max || (pattern && !pattern.test(value))) {
    invalid(`${what} must be a string of at most ${max} characters${pattern ? ' in base64url' : ''}`);
  }
  return value;
}

const B64U = /^[A-Za-z0-9_-]+$/;

/**
 * The request in `data`, whose envelope (`anchorsync: 1`, a valid id) was
 * already checked.
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` naming the first problem.
 * @example
 * ```ts
 * parseRequest({ anchorsync: 1, id: 'a.1', op: 'anchors', ns: 'prod', orgId: 'org-a' })
 * ```
 */
export function parseRequest(data: Record<string, unknown>): PostRequest {
  const op = data.op;
  if (typeof op !== 'string') return invalid('op must be a string');
  if (EXTENSION_OP.test(op)) {
    members(data, [], ['params']);
    const params = data.params ?? {};
    if (!isPlainObject(params)) invalid('params must be an object');
    return { op: op as ExtensionOp, params };
  }
  if (!(BUILTIN_OPS as readonly string[]).includes(op)) return invalid(`unknown op ${JSON.stringify(op.slice(0, 40))}`);
  const builtin = op as BuiltinOp;
  members(data, MEMBERS[builtin].required, MEMBERS[builtin].optional);
  if (builtin === 'peers') return data.ns === undefined ? { op: 'peers' } : { op: 'peers', ns: validateId(data.ns, 'ns') };
  const ns = validateId(data.ns, 'ns');
  const orgId = validateId(data.orgId, 'orgId');
  switch (builtin) {
    case 'pull': {
      const since = data.since;
      if (typeof since !== 'number' || !Number.isSafeInteger(since) || since < 0) invalid('since must be a safe integer >= 0');
      const out: PostRequest = { op: 'pull', ns, orgId, since };
      if (data.sinceHash !== undefined) out.sinceHash = boundedString(data.sinceHash, 'sinceHash', 128, B64U);
      if (data.token !== undefined) out.token = boundedString(data.token, 'token', 1024);
      return out;
    }
    case 'push':
      return { op: 'push', ns, orgId, pack: data.pack };
    case 'verify':
      return verifyRequest(data, ns, orgId);
    default:
      return { op: builtin, ns, orgId };
  }
}

function verifyRequest(data: Record<string, unknown>, ns: string, orgId: string): PostRequest {
  const kid = validateId(data.kid, 'kid');
  // 64 bytes are 86 base64url characters; core answers BAD_SIGNATURE for a wrong length.
  const signature = boundedString(data.signature, 'signature', 128);
  if ((data.message === undefined) === (data.messageB64u === undefined)) invalid('exactly one of message and messageB64u is required');
  let message: string | Uint8Array;
  if (data.message !== undefined) {
    if (typeof data.message !== 'string') invalid('message must be a string');
    message = data.message;
  } else {
    const bytes = typeof data.messageB64u === 'string' ? b64uToBytes(data.messageB64u) : undefined;
    if (bytes === undefined) invalid('messageB64u must be unpadded base64url');
    message = bytes;
  }
  const out: PostRequest = { op: 'verify', ns, orgId, kid, message, signature };
  const signedAt = data.signedAt;
  if (signedAt !== undefined) {
    if (typeof signedAt === 'string' && signedAt.length <= 64) out.signedAt = signedAt;
    else if (typeof signedAt === 'number' && Number.isFinite(signedAt)) out.signedAt = signedAt;
    else invalid('signedAt must be an RFC 3339 string or epoch ms');
  }
  return out;
}
