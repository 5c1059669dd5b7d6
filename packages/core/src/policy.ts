/**
 * The cross-org policy (DESIGN.md rule 5): which organisations may pull,
 * apply or publish in a namespace, in which UTC time window, and how often per
 * UTC day. Daily counters live in storage under `fed:policy:...`, so a restart
 * does not reset a cap.
 */
import { AnchorSyncError } from './errors.ts';
import { MAX_SIGNATURES_PER_PACK } from './limits.ts';
import { guarded, keys, type StorageDriver } from './storage.ts';
import { systemClock } from './time.ts';
import { processLock } from './peer-lock.ts';
import { validateId } from './validate.ts';

/** The operations a policy governs. */
export type PolicyOp = 'pull' | 'apply' | 'publish';

/**
 * An allowed UTC time window, `HH:MM` on a 24-hour clock. `start` is
 * inclusive, `end` exclusive; `start > end` wraps midnight (`22:00`-`06:00`).
 */
export interface PolicyWindow {
  start: string;
  end: string;
}

/** The rule for one operation. Every member left out allows more, never less. */
export interface OpRule {
  /** Org ids allowed for this op; `'*'` allows any. Omitted: any org. */
  allow?: readonly string[];
  /** Most uses per (op, ns, orgId) per UTC day. Omitted: no cap. */
  dailyCap?: number;
  /** Allowed UTC hours (a time window). Omitted: always. */
  hours?: PolicyWindow;
}

/** The policy for traffic with other organisations. */
export interface CrossOrgPolicy {
  /** Whether a peer's ACTIVE anchors may sign its next pack (default false). */
  allowRotation?: boolean;
  /** Distinct trusted signatures a pack needs (default `DEFAULT_THRESHOLD`). */
  threshold?: number;
  ops?: Partial<Record<PolicyOp, OpRule>>;
}

/** The answer of {@link checkCrossOrgPolicy}; a denial names its AnchorSyncError code. */
export type PolicyDecision =
  | { allowed: true }
  | { allowed: false; code: 'ERR_POLICY_DENIED' | 'ERR_POLICY_CAP' | 'ERR_POLICY_WINDOW'; message: string };

/** One question to the policy: may `orgId` do `op` in `ns` now? */
export interface PolicyCheck {
  op: PolicyOp;
  ns: string;
  orgId: string;
  /** Epoch ms; defaults to the system clock. */
  now?: number;
  /** Count this use against the daily cap when it is allowed. */
  consume?: boolean;
}

const OPS: readonly PolicyOp[] = ['pull', 'apply', 'publish'];
// Matches the `keys.policyCounter` layout; every counter key starts with it.
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MS_PER_DAY = 86_400_000;
const MAX_NOW = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

type Obj = Record<string, unknown>;

function invalid(path: string, message: string): never {
  throw new AnchorSyncError('ERR_INVALID_ARGUMENT', `policy: ${path} ${message}`, { details: { path } });
}

function object(value: unknown, path: string, members: readonly string[]): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid(path, 'must be an object');
  for (const key of Object.keys(value)) if (!members.includes(key)) invalid(`${path}.${key}`, 'is not a known member');
  return value as Obj;
}

function minutes(value: unknown, path: string): number {
  const m = typeof value === 'string' ? HHMM.exec(value) : null;
  if (!m) return invalid(path, 'must be HH:MM (UTC, 24h)');
  return Number(m[1]) * 60 + Number(m[2]);
}

function validateRule(value: unknown, path: string): OpRule {
  const r = object(value, path, ['allow', 'dailyCap', 'hours']);
  const rule: OpRule = {};
  if (r.allow !== undefined) {
    if (!Array.isArray(r.allow)) invalid(`${path}.allow`, 'must be an array of org ids or "*"');
    rule.allow = r.allow.map((id: unknown, i) => (id === '*' ? '*' : validateId(id, `${path}.allow[${i}]`)));
  }
  if (r.dailyCap !== undefined) {
    if (typeof r.dailyCap !== 'number' || !Number.isSafeInteger(r.dailyCap) || r.dailyCap < 0) {
      invalid(`${path}.dailyCap`, 'must be a safe integer >= 0');
    }
    rule.dailyCap = r.dailyCap;
  }
  if (r.hours !== undefined) {
    const w = object(r.hours, `${path}.hours`, ['start', 'end']);
    // An empty window (start == end) is ambiguous: never, or always? Refuse it.
    if (minutes(w.start, `${path}.hours.start`) === minutes(w.end, `${path}.hours.end`)) {
      invalid(`${path}.hours`, 'must not start and end at the same minute');
    }
    rule.hours = { start: w.start as string, end: w.end as string };
  }
  return rule;
}

/**
 * Checks a policy (for instance one read from a config file) and returns a
 * clean copy of it.
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` for unknown members or ops,
 * a cap that is not a safe integer >= 0, a malformed or empty window, an
 * allowlist entry that is not an id or `'*'`, or a threshold outside 1..16.
 * @example
 * ```ts
 * const policy = validatePolicy({ ops: { pull: { allow: ['org-a'], dailyCap: 24 } } })
 * ```
 */
export function validatePolicy(policy: unknown): CrossOrgPolicy {
  const p = object(policy, 'policy', ['allowRotation', 'threshold', 'ops']);
  const out: CrossOrgPolicy = {};
  if (p.allowRotation !== undefined) {
    if (typeof p.allowRotation !== 'boolean') invalid('policy.allowRotation', 'must be a boolean');
    out.allowRotation = p.allowRotation;
  }
  if (p.threshold !== undefined) {
    // A threshold above the most signatures a pack may carry could never be met.
    const t = p.threshold;
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 1 || t > MAX_SIGNATURES_PER_PACK) {
      invalid('policy.threshold', `must be an integer from 1 to ${MAX_SIGNATURES_PER_PACK}`);
    }
    out.threshold = t;
  }
  if (p.ops !== undefined) {
    const ops = object(p.ops, 'policy.ops', OPS);
    out.ops = {};
    for (const op of OPS) if (ops[op] !== undefined) out.ops[op] = validateRule(ops[op], `policy.ops.${op}`);
  }
  return out;
}

function checkOp(op: unknown): PolicyOp {
  if (typeof op !== 'string' || !(OPS as readonly string[]).includes(op)) invalid('op', 'must be pull, apply or publish');
  return op as PolicyOp;
}

function checkNow(now: unknown): number {
  // Years 1970..9999 only: outside them the ISO day is not `YYYY-MM-DD`.
  if (typeof now !== 'number' || !Number.isFinite(now) || now < 0 || now > MAX_NOW) invalid('now', 'must be epoch milliseconds');
  return now;
}

function utcDay(now: number): string {
  return new Date(now).toISOString().slice(0, 10);
}

function counterKey(op: unknown, ns: unknown, orgId: unknown, now: number): string {
  return keys.policyCounter(checkOp(op), validateId(ns, 'ns'), validateId(orgId, 'orgId'), utcDay(now));
}

async function readCounter(storage: StorageDriver, key: string): Promise<number> {
  const raw = await guarded('get', () => storage.get(key));
  if (raw === undefined) return 0;
  // Fail closed: a counter we cannot trust must not turn into an open cap.
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < 0) {
    throw new AnchorSyncError('ERR_STORAGE_CORRUPT', 'stored policy counter is not a non-negative integer', { details: { key } });
  }
  return raw;
}

function inWindow(hours: PolicyWindow, now: number): boolean {
  const minute = Math.floor((now % MS_PER_DAY) / 60_000);
  const start = minutes(hours.start, 'hours.start');
  const end = minutes(hours.end, 'hours.end');
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}

function hhmm(now: number): string {
  return new Date(now).toISOString().slice(11, 16);
}

/**
 * Decides whether the policy lets `orgId` do `op` in `ns` at `now`. Checks,
 * in order: the allowlist, the time window, the daily cap. With
 * `consume: true` an allowed use is counted against the cap (when one is
 * set); without it nothing is written. No policy, or no rule for `op`,
 * allows.
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` for a malformed policy,
 * op, id or time; `ERR_STORAGE_CORRUPT` for a stored counter that is not a
 * non-negative integer; `ERR_STORAGE` when the driver fails.
 * @example
 * ```ts
 * const d = await checkCrossOrgPolicy(storage, policy, { op: 'pull', ns: 'prod', orgId: 'org-a', consume: true })
 * if (!d.allowed) throw new AnchorSyncError(d.code, d.message)
 * ```
 */
export async function checkCrossOrgPolicy(
  storage: StorageDriver,
  policy: CrossOrgPolicy | undefined,
  check: PolicyCheck,
): Promise<PolicyDecision> {
  const op = checkOp(check.op);
  const ns = validateId(check.ns, 'ns');
  const orgId = validateId(check.orgId, 'orgId');
  const now = checkNow(check.now ?? systemClock());
  if (policy === undefined) return { allowed: true };
  // Re-validated on every call: a hand-built or mutated policy fails closed.
  const rule = validatePolicy(policy).ops?.[op];
  if (rule === undefined) return { allowed: true };
  const who = `${op} by org "${orgId}" in ns "${ns}"`;

  if (rule.allow !== undefined && !rule.allow.includes('*') && !rule.allow.includes(orgId)) {
    return { allowed: false, code: 'ERR_POLICY_DENIED', message: `policy denies ${who}: org is not on the allowlist` };
  }
  if (rule.hours !== undefined && !inWindow(rule.hours, now)) {
    const { start, end } = rule.hours;
    return {
      allowed: false,
      code: 'ERR_POLICY_WINDOW',
      message: `policy denies ${who} at ${hhmm(now)} UTC: allowed only ${start}-${end} UTC`,
    };
  }
  const cap = rule.dailyCap;
  if (cap === undefined) return { allowed: true };

  const key = keys.policyCounter(op, ns, orgId, utcDay(now));
  const decide = async (): Promise<PolicyDecision> => {
    const used = await readCounter(storage, key);
    if (used >= cap) {
      return { allowed: false, code: 'ERR_POLICY_CAP', message: `policy denies ${who}: daily cap of ${cap} used up for ${utcDay(now)} (UTC)` };
    }
    if (check.consume === true) await guarded('set', () => storage.set(key, used + 1));
    return { allowed: true };
  };
  // Read-then-write of a counter is serialised per storage and key within this
  // process, so concurrent consumes cannot both take the last use.
  return check.consume === true ? processLock(storage)(key, decide) : decide();
}

/**
 * How many uses of `op` by `orgId` in `ns` were counted on the UTC day of
 * `now` (0 when none).
 *
 * @throws {AnchorSyncError} `ERR_STORAGE_CORRUPT` for a counter that is not a non-negative integer.
 * @example
 * ```ts
 * const used = await policyUsage(storage, 'pull', 'prod', 'org-a') // 3
 * ```
 */
export async function policyUsage(storage: StorageDriver, op: PolicyOp, ns: string, orgId: string, now?: number): Promise<number> {
  return readCounter(storage, counterKey(op, ns, orgId, checkNow(now ?? systemClock())));
}

/**
 * Deletes the policy counters of UTC days before the day of `now`; they can
 * never count again. Returns how many were deleted. Keys whose last part is
 * not a `YYYY-MM-DD` day are left alone.
 *
 * @example
 * ```ts
 * await pruneCounters(storage) // e.g. once a day
 * ```
 */
export async function pruneCounters(storage: StorageDriver, now?: number): Promise<number> {
  const today = utcDay(checkNow(now ?? systemClock()));
  const names = await guarded('list', () => storage.list(keys.policyPrefix));
  let deleted = 0;
  for (const name of names) {
    const day = name.slice(name.lastIndexOf(':') + 1);
    if (!DAY.test(day) || day >= today) continue;
    await guarded('delete', () => storage.delete(name));
    deleted++;
  }
  return deleted;
}
