import { describe, expect, it } from 'vitest';
import { memoryStorage } from '@anchorsync/storage-memory';
import { isAnchorSyncError, storageKeys, type StorageDriver } from '@anchorsync/core';
import {
  checkCrossOrgPolicy,
  policyUsage,
  pruneCounters,
  validatePolicy,
  type CrossOrgPolicy,
  type PolicyCheck,
} from '../src/policy.ts';

const DAY1 = Date.parse('2026-03-10T00:00:00.000Z');
const at = (hhmm: string, day = DAY1) => day + Date.parse(`1970-01-01T${hhmm}:00.000Z`);
const NOON = at('12:00');

function check(overrides: Partial<PolicyCheck> = {}): PolicyCheck {
  return { op: 'pull', ns: 'prod', orgId: 'org-a', now: NOON, ...overrides };
}

async function rejects(run: () => unknown, code: string): Promise<void> {
  let caught: unknown;
  try {
    await run();
  } catch (e) {
    caught = e;
  }
  expect(isAnchorSyncError(caught), String(caught)).toBe(true);
  expect((caught as { code: string }).code).toBe(code);
}

const capped = (dailyCap: number): CrossOrgPolicy => ({ ops: { pull: { dailyCap } } });

describe('policy: allowlist', () => {
  const policy: CrossOrgPolicy = { ops: { pull: { allow: ['org-a', 'org-b'] } } };

  it('allows an org on the allowlist', async () => {
    expect(await checkCrossOrgPolicy(memoryStorage(), policy, check({ orgId: 'org-b' }))).toEqual({ allowed: true });
  });

  it('denies an org not on the allowlist with ERR_POLICY_DENIED, naming op and org', async () => {
    const d = await checkCrossOrgPolicy(memoryStorage(), policy, check({ orgId: 'org-x' }));
    expect(d.allowed).toBe(false);
    if (d.allowed) return;
    expect(d.code).toBe('ERR_POLICY_DENIED');
    expect(d.message).toContain('pull');
    expect(d.message).toContain('org-x');
  });

  it("'*' allows any org", async () => {
    const d = await checkCrossOrgPolicy(memoryStorage(), { ops: { pull: { allow: ['*'] } } }, check({ orgId: 'org-z' }));
    expect(d).toEqual({ allowed: true });
  });

  it('an empty allowlist denies every org', async () => {
    const d = await checkCrossOrgPolicy(memoryStorage(), { ops: { pull: { allow: [] } } }, check());
    expect(d).toMatchObject({ allowed: false, code: 'ERR_POLICY_DENIED' });
  });

  it('no policy, or no rule for the op, allows', async () => {
    const storage = memoryStorage();
    expect(await checkCrossOrgPolicy(storage, undefined, check({ consume: true }))).toEqual({ allowed: true });
    expect(await checkCrossOrgPolicy(storage, { ops: { publish: { allow: [] } } }, check())).toEqual({ allowed: true });
    expect(await checkCrossOrgPolicy(storage, {}, check())).toEqual({ allowed: true });
  });

  it('the allowlist is checked before the window and the cap', async () => {
    const policy: CrossOrgPolicy = { ops: { pull: { allow: ['org-b'], hours: { start: '01:00', end: '02:00' }, dailyCap: 0 } } };
    const d = await checkCrossOrgPolicy(memoryStorage(), policy, check());
    expect(d).toMatchObject({ allowed: false, code: 'ERR_POLICY_DENIED' });
  });
});

describe('policy: time window', () => {
  const day: CrossOrgPolicy = { ops: { pull: { hours: { start: '09:00', end: '17:00' } } } };
  const night: CrossOrgPolicy = { ops: { pull: { hours: { start: '22:00', end: '06:00' } } } };
  const decide = async (policy: CrossOrgPolicy, hhmm: string) =>
    (await checkCrossOrgPolicy(memoryStorage(), policy, check({ now: at(hhmm) }))).allowed;

  it('allows inside a daytime window, start inclusive', async () => {
    expect(await decide(day, '09:00')).toBe(true);
    expect(await decide(day, '12:30')).toBe(true);
    expect(await decide(day, '16:59')).toBe(true);
  });

  it('denies outside a daytime window with ERR_POLICY_WINDOW, end exclusive', async () => {
    expect(await decide(day, '08:59')).toBe(false);
    expect(await decide(day, '17:00')).toBe(false);
    const d = await checkCrossOrgPolicy(memoryStorage(), day, check({ now: at('17:00') }));
    expect(d).toMatchObject({ allowed: false, code: 'ERR_POLICY_WINDOW' });
  });

  it('a window that wraps midnight allows late evening and early morning only', async () => {
    for (const t of ['22:00', '23:59', '00:00', '03:00', '05:59']) expect(await decide(night, t), t).toBe(true);
    for (const t of ['06:00', '12:00', '21:59']) expect(await decide(night, t), t).toBe(false);
  });

  it('the window is checked before the cap, and a denied window consumes nothing', async () => {
    const storage = memoryStorage();
    const policy: CrossOrgPolicy = { ops: { pull: { hours: { start: '09:00', end: '10:00' }, dailyCap: 0 } } };
    const d = await checkCrossOrgPolicy(storage, policy, check({ consume: true }));
    expect(d).toMatchObject({ allowed: false, code: 'ERR_POLICY_WINDOW' });
    expect(await storage.list('fed:policy:')).toEqual([]);
  });
});

describe('policy: daily cap', () => {
  it('allows N consumes, then denies the N+1th with ERR_POLICY_CAP', async () => {
    const storage = memoryStorage();
    for (let i = 0; i < 3; i++) {
      expect(await checkCrossOrgPolicy(storage, capped(3), check({ consume: true, now: NOON + i }))).toEqual({ allowed: true });
    }
    const d = await checkCrossOrgPolicy(storage, capped(3), check({ consume: true }));
    expect(d).toMatchObject({ allowed: false, code: 'ERR_POLICY_CAP' });
    if (!d.allowed) expect(d.message).toContain('org-a');
    expect(await policyUsage(storage, 'pull', 'prod', 'org-a', NOON)).toBe(3);
  });

  it('a cap of 0 denies every use', async () => {
    expect(await checkCrossOrgPolicy(memoryStorage(), capped(0), check())).toMatchObject({ code: 'ERR_POLICY_CAP' });
  });

  it('a new UTC day resets the cap (day boundary at 00:00 UTC)', async () => {
    const storage = memoryStorage();
    await checkCrossOrgPolicy(storage, capped(1), check({ consume: true, now: at('23:59') }));
    expect(await checkCrossOrgPolicy(storage, capped(1), check({ now: at('23:59') + 59_999 }))).toMatchObject({ code: 'ERR_POLICY_CAP' });
    const nextDay = DAY1 + 86_400_000;
    expect(await checkCrossOrgPolicy(storage, capped(1), check({ consume: true, now: nextDay }))).toEqual({ allowed: true });
  });

  it('the count survives a restart: a new policy object on the same storage still sees it', async () => {
    const storage = memoryStorage();
    await checkCrossOrgPolicy(storage, capped(2), check({ consume: true }));
    await checkCrossOrgPolicy(storage, capped(2), check({ consume: true }));
    const afterRestart = JSON.parse(JSON.stringify(capped(2))) as CrossOrgPolicy;
    const d = await checkCrossOrgPolicy(storage, afterRestart, check({ consume: true, now: NOON + 60_000 }));
    expect(d).toMatchObject({ allowed: false, code: 'ERR_POLICY_CAP' });
    expect(await storage.get(storageKeys.policyCounter('pull', 'prod', 'org-a', '2026-03-10'))).toBe(2);
  });

  it('consume: false (or omitted) never writes, even when allowed under a cap', async () => {
    const storage = memoryStorage();
    for (let i = 0; i < 5; i++) {
      expect(await checkCrossOrgPolicy(storage, capped(1), check({ consume: false }))).toEqual({ allowed: true });
      expect(await checkCrossOrgPolicy(storage, capped(1), check())).toEqual({ allowed: true });
    }
    expect(await storage.list('fed:policy:')).toEqual([]);
  });

  it('a denied use is not counted', async () => {
    const storage = memoryStorage();
    await checkCrossOrgPolicy(storage, capped(1), check({ consume: true }));
    await checkCrossOrgPolicy(storage, capped(1), check({ consume: true }));
    expect(await policyUsage(storage, 'pull', 'prod', 'org-a', NOON)).toBe(1);
  });

  it('counters are independent per op, per org and per ns', async () => {
    const storage = memoryStorage();
    const policy: CrossOrgPolicy = { ops: { pull: { dailyCap: 1 }, apply: { dailyCap: 1 } } };
    expect((await checkCrossOrgPolicy(storage, policy, check({ consume: true }))).allowed).toBe(true);
    expect((await checkCrossOrgPolicy(storage, policy, check({ consume: true }))).allowed).toBe(false);
    expect((await checkCrossOrgPolicy(storage, policy, check({ op: 'apply', consume: true }))).allowed).toBe(true);
    expect((await checkCrossOrgPolicy(storage, policy, check({ orgId: 'org-b', consume: true }))).allowed).toBe(true);
    expect((await checkCrossOrgPolicy(storage, policy, check({ ns: 'staging', consume: true }))).allowed).toBe(true);
    expect(await policyUsage(storage, 'apply', 'prod', 'org-a', NOON)).toBe(1);
    expect(await policyUsage(storage, 'publish', 'prod', 'org-a', NOON)).toBe(0);
  });

  it('concurrent consumes on one storage never exceed the cap', async () => {
    const storage = memoryStorage();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => checkCrossOrgPolicy(storage, capped(3), check({ consume: true }))),
    );
    expect(results.filter((d) => d.allowed)).toHaveLength(3);
    expect(await policyUsage(storage, 'pull', 'prod', 'org-a', NOON)).toBe(3);
  });
});

describe('policy: storage failures fail closed', () => {
  const key = storageKeys.policyCounter('pull', 'prod', 'org-a', '2026-03-10');

  for (const bad of [-1, 1.5, '2', null, { n: 1 }, Number.MAX_SAFE_INTEGER + 1]) {
    it(`a corrupt counter (${JSON.stringify(bad)}) throws ERR_STORAGE_CORRUPT instead of allowing`, async () => {
      const storage = memoryStorage();
      await storage.set(key, bad);
      await rejects(() => checkCrossOrgPolicy(storage, capped(100), check({ consume: true })), 'ERR_STORAGE_CORRUPT');
      await rejects(() => policyUsage(storage, 'pull', 'prod', 'org-a', NOON), 'ERR_STORAGE_CORRUPT');
      expect(await storage.get(key)).toEqual(bad);
    });
  }

  it('a failing driver surfaces as ERR_STORAGE, not as an allow', async () => {
    const broken: StorageDriver = { ...memoryStorage(), get: () => Promise.reject(new Error('disk')) };
    await rejects(() => checkCrossOrgPolicy(broken, capped(1), check()), 'ERR_STORAGE');
  });
});

describe('policy: arguments', () => {
  it('bad ns, orgId, op or now are refused with ERR_INVALID_ARGUMENT, even without a policy', async () => {
    const storage = memoryStorage();
    await rejects(() => checkCrossOrgPolicy(storage, undefined, check({ ns: 'a:b' })), 'ERR_INVALID_ARGUMENT');
    await rejects(() => checkCrossOrgPolicy(storage, undefined, check({ orgId: '' })), 'ERR_INVALID_ARGUMENT');
    await rejects(() => checkCrossOrgPolicy(storage, undefined, check({ op: 'push' as 'pull' })), 'ERR_INVALID_ARGUMENT');
    await rejects(() => checkCrossOrgPolicy(storage, undefined, check({ now: Number.NaN })), 'ERR_INVALID_ARGUMENT');
  });

  it('a malformed policy object passed straight to the check fails closed', async () => {
    const policy = { ops: { pull: { dailyCap: -1 } } } as CrossOrgPolicy;
    await rejects(() => checkCrossOrgPolicy(memoryStorage(), policy, check()), 'ERR_INVALID_ARGUMENT');
  });
});

describe('validatePolicy', () => {
  it('accepts and returns a well-formed policy', () => {
    const good = {
      allowRotation: true,
      threshold: 2,
      ops: {
        pull: { allow: ['org-a', '*'], dailyCap: 24, hours: { start: '22:00', end: '06:00' } },
        apply: { dailyCap: 0 },
        publish: {},
      },
    };
    expect(validatePolicy(good)).toEqual(good);
    expect(validatePolicy({})).toEqual({});
  });

  const bad: Array<[string, unknown]> = [
    ['not an object', 'pull'],
    ['an array', []],
    ['an unknown top-level member', { ops: {}, extra: 1 }],
    ['an unknown op', { ops: { push: {} } }],
    ['an unknown rule member', { ops: { pull: { cap: 1 } } }],
    ['a negative cap', { ops: { pull: { dailyCap: -1 } } }],
    ['a fractional cap', { ops: { pull: { dailyCap: 1.5 } } }],
    ['a string cap', { ops: { pull: { dailyCap: '3' } } }],
    ['an hour past 23', { ops: { pull: { hours: { start: '24:00', end: '06:00' } } } }],
    ['a minute past 59', { ops: { pull: { hours: { start: '09:60', end: '10:00' } } } }],
    ['a one-digit hour', { ops: { pull: { hours: { start: '9:00', end: '10:00' } } } }],
    ['start equal to end', { ops: { pull: { hours: { start: '09:00', end: '09:00' } } } }],
    ['a window missing end', { ops: { pull: { hours: { start: '09:00' } } } }],
    ['an unknown window member', { ops: { pull: { hours: { start: '09:00', end: '10:00', tz: 'CET' } } } }],
    ['allow not an array', { ops: { pull: { allow: 'org-a' } } }],
    ['an allow entry that is not an id', { ops: { pull: { allow: ['org a'] } } }],
    ['threshold 0', { threshold: 0 }],
    ['threshold 17', { threshold: 17 }],
    ['threshold 1.5', { threshold: 1.5 }],
    ['allowRotation not a boolean', { allowRotation: 'yes' }],
  ];
  for (const [name, value] of bad) {
    it(`rejects ${name} with ERR_INVALID_ARGUMENT`, async () => {
      await rejects(() => validatePolicy(value), 'ERR_INVALID_ARGUMENT');
    });
  }
});

describe('pruneCounters', () => {
  it('deletes counters of earlier UTC days and keeps today', async () => {
    const storage = memoryStorage();
    const yesterday = DAY1 - 86_400_000;
    await checkCrossOrgPolicy(storage, capped(5), check({ consume: true, now: yesterday }));
    await checkCrossOrgPolicy(storage, capped(5), check({ consume: true, op: 'pull', orgId: 'org-b', now: yesterday }));
    await checkCrossOrgPolicy(storage, capped(5), check({ consume: true }));
    expect(await pruneCounters(storage, NOON)).toBe(2);
    expect(await storage.list('fed:policy:')).toEqual([storageKeys.policyCounter('pull', 'prod', 'org-a', '2026-03-10')]);
    expect(await policyUsage(storage, 'pull', 'prod', 'org-a', NOON)).toBe(1);
  });
});
