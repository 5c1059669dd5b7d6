/**
 * The strict check every op of `./ops` runs on its request's members
 * (protocol.ts) before it touches storage: exactly the members of the op,
 * each of its type and size, ids through core's `validateId`.
 */
import { AnchorSyncError, validateId } from '@anchorsync/core';

/** Checks one member: returns its value, or throws naming it. */
export type Check = (value: unknown, name: string) => unknown;

export function invalidMember(name: string): never {
  throw new AnchorSyncError('ERR_INVALID_ARGUMENT', `request: ${name} is missing or malformed`);
}

export const id: Check = (value, name) => validateId(value, name);

/** Wraps a check so that an absent member passes as `undefined`. */
export const optional =
  (check: Check): Check =>
  (value, name) =>
    value === undefined ? value : check(value, name);

/** A non-empty string of at most `max` characters, all matching `pattern`. */
export const text =
  (max: number, pattern = /^/): Check =>
  (value, name) =>
    typeof value === 'string' && value.length > 0 && value.length <= max && pattern.test(value) ? value : invalidMember(name);

/**
 * The members that `checks` names, each through its check (one that refuses
 * `undefined` makes its member required); any other member is refused.
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` naming the first problem.
 * @example
 * ```ts
 * checkMembers({ ns: 'prod', orgId: 'org-a' }, { ns: id, orgId: id }) // { ns: 'prod', orgId: 'org-a' }
 * ```
 */
export function checkMembers(members: Record<string, unknown>, checks: Readonly<Record<string, Check>>): Record<string, unknown> {
  for (const name of Object.keys(members)) if (!Object.hasOwn(checks, name)) invalidMember(name);
  const out: Record<string, unknown> = {};
  for (const [name, check] of Object.entries(checks)) {
    const value = check(members[name], name);
    if (value !== undefined) out[name] = value;
  }
  return out;
}
