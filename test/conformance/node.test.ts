import { describe, expect, it } from 'vitest';
import { expectConformance } from './helpers.ts';
import { CONFORMANCE_STEPS, runConformanceScenario } from './scenario.ts';

describe('core conformance on Node', () => {
  it('publish, sync, delta, rotation, revocation pass and a rollback and a tampered pack are refused with storage unchanged', async () => {
    const results = await runConformanceScenario();
    await expectConformance(results);
    expect(results.find((r) => r.name === 'rollback rejected')!.detail).toMatch(/ERR_PACK_ROLLBACK, storage unchanged/);
    expect(results.find((r) => r.name === 'tampered pack rejected')!.detail).toMatch(/ERR_PACK_SIGNATURE, storage unchanged/);
  });

  it('the runners fail a runtime whose run differs from Node: a failed step, a missing step or another pack hash', async () => {
    const good = await runConformanceScenario();
    const failedStep = good.map((r, i) => (i === 5 ? { ...r, ok: false, detail: 'accepted' } : r));
    const otherHash = good.map((r, i) => (i === 0 ? { ...r, detail: r.detail.replace(/hash \S+/, 'hash x') } : r));
    await expect(expectConformance(failedStep)).rejects.toThrow();
    await expect(expectConformance(good.slice(0, -1))).rejects.toThrow();
    await expect(expectConformance(otherHash)).rejects.toThrow();
  });

  it('is deterministic: two runs give the same pack hashes and details', async () => {
    const [a, b] = await Promise.all([runConformanceScenario(), runConformanceScenario()]);
    expect(a).toEqual(b);
    expect(a).toHaveLength(CONFORMANCE_STEPS.length);
  });
});
