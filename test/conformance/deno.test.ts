import { describe, expect, it } from 'vitest';
import { expectConformance, parseRunnerOutput, ROOT, runtimeBin, runToEnd } from './helpers.ts';

describe('core conformance on Deno', () => {
  it('the shared scenario passes under the real deno binary, with the same results as Node', { timeout: 45_000 }, async () => {
    const run = await runToEnd(runtimeBin('deno'), ['run', '-A', '--no-lock', 'test/conformance/run.ts'], { cwd: ROOT });
    const { runtime, results } = parseRunnerOutput(run);
    expect(runtime).toMatch(/^Deno\/2\./);
    await expectConformance(results);
    expect(run.code, run.stderr).toBe(0);
  });
});
