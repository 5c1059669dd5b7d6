/**
 * The bundle-size budget (issue 6), checked on every test run: the
 * verify-only entry of core <= 8 KB gzip, the full sync engine <= 12 KB,
 * every storage adapter, transport and crypto adapter <= 2 KB gzip on top of
 * core. Entries already over budget carry a recorded waiver (bench/size.ts)
 * and may not grow past its ceiling. `pnpm size` prints the same numbers.
 */
import { describe, expect, it } from 'vitest';
import { applyWaivers, budgetViolations, BUDGETS, bundleSize, measureAll, publicEntries, type SizeRow } from '../../bench/size.ts';

describe('bundle-size budget', () => {
  let measured: Promise<SizeRow[]> | undefined;
  const rowsOnce = () => (measured ??= measureAll());

  it('every public entry is within its budget or its recorded waiver ceiling', async () => {
    const rows = await rowsOnce();
    const entries = rows.map((r) => r.entry);
    // The report covers what it claims to: both core entries, the engine, and every adapter package present.
    expect(entries).toContain('@anchorsync/core/verify');
    expect(entries).toContain('core: sync engine');
    for (const { entry } of publicEntries()) expect(entries).toContain(entry);
    expect(budgetViolations(rows)).toEqual([]);
  }, 120_000);

  it('the verify-only entry keeps its 8 KB budget and stays under its recorded waiver ceiling', async () => {
    const rows = await rowsOnce();
    const verify = rows.find((r) => r.entry === '@anchorsync/core/verify')!;
    expect(verify.budget).toBe(BUDGETS.verify);
    expect(verify.gzip).toBeLessThanOrEqual(verify.ceiling ?? BUDGETS.verify);
  }, 120_000);
});

describe('the budget checker can fail', () => {
  const row = (entry: string, gzip: number, budget: number, kind: SizeRow['kind'] = 'entry'): SizeRow => ({
    entry,
    kind,
    min: gzip * 2,
    gzip,
    brotli: gzip,
    budget,
    checked: gzip,
  });

  it('an entry over its budget is reported, one within it is not', () => {
    expect(budgetViolations([row('fits', 7_999, 8_000), row('exact', 8_000, 8_000)])).toEqual([]);
    expect(budgetViolations([row('too big', 8_001, 8_000)])).toEqual(['too big: 8001 B gzip > budget 8000 B']);
  });

  it('a waiver lets an entry stay over budget only up to its ceiling', () => {
    const waivers = { debt: { ceiling: 9_000, reason: 'test' } };
    expect(budgetViolations(applyWaivers([row('debt', 8_900, 8_000)], waivers))).toEqual([]);
    expect(budgetViolations(applyWaivers([row('debt', 9_001, 8_000)], waivers))).toEqual(['debt: 9001 B gzip > budget 8000 B and waiver ceiling 9000 B']);
    // A waiver for another entry does not cover this one.
    expect(budgetViolations(applyWaivers([row('other', 8_001, 8_000)], waivers))).toHaveLength(1);
  });

  it('a real over-budget bundle is caught: 6 KB of incompressible text against a lowered 1 KB budget', async () => {
    let x = 1;
    const noise = Array.from({ length: 6000 }, () => String.fromCharCode(33 + ((x = (x * 1103515245 + 12345) >>> 0) % 90))).join('');
    const size = await bundleSize(`export const noise = ${JSON.stringify(noise)};`);
    expect(size.gzip).toBeGreaterThan(4_000);
    const violations = budgetViolations([{ entry: 'fixture', kind: 'entry', ...size, budget: 1_000, checked: size.gzip }]);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatch(/^fixture: \d+ B gzip > budget 1000 B$/);
  });
});
