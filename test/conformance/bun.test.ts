import { describe, expect, it } from 'vitest';
import { expectConformance, parseRunnerOutput, ROOT, runtimeBin, runToEnd } from './helpers.ts';

describe('core conformance on Bun', () => {
  it('the shared scenario passes under the real bun binary, with the same results as Node', { timeout: 45_000 }, async () => {
    const run = await runToEnd(runtimeBin('bun'), ['run', 'test/conformance/run.ts'], { cwd: ROOT });
    const { runtime, results } = parseRunnerOutput(run);
    expect(runtime).toMatch(/^Bun\/1\./);
    await expectConformance(results);
    expect(run.code, run.stderr).toBe(0);
  });
});
