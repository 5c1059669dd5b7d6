import { bundleWorker } from '../runtimes/worker-bundle.ts';
import { Miniflare } from 'miniflare';
import { afterAll, describe, expect, it } from 'vitest';
import { expectConformance } from './helpers.ts';
import type { ConformanceResult } from './scenario.ts';

describe('core conformance on workerd', () => {
  let mf: Miniflare | undefined;
  afterAll(() => mf?.dispose());

  it('the shared scenario passes inside workerd (no nodejs_compat), with the same results as Node', { timeout: 45_000 }, async () => {
    const script = await bundleWorker(new URL('./worker.ts', import.meta.url).pathname);
    mf = new Miniflare({ modules: true, script, compatibilityDate: '2025-04-01' });
    const response = await mf.dispatchFetch('http://conformance.test/');
    expect(response.status).toBe(200);
    const { runtime, results } = (await response.json()) as { runtime: string; results: ConformanceResult[] };
    expect(runtime).toBe('Cloudflare-Workers');
    await expectConformance(results);
  });
});
