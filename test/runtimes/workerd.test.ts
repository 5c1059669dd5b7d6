import { bundleWorker } from './worker-bundle.ts';
import { Miniflare } from 'miniflare';
import { afterAll, describe, expect, it } from 'vitest';
import { expectServesVerifiedPacks, FIXTURES } from './helpers.ts';

describe('workerd (miniflare)', () => {
  let mf: Miniflare | undefined;
  afterAll(() => mf?.dispose());

  it('a Worker bundling the unchanged handler answers, without nodejs_compat, and what it serves verifies', { timeout: 60_000 }, async () => {
    const started = Date.now();
    const script = await bundleWorker(`${FIXTURES}worker.ts`);
    mf = new Miniflare({ modules: true, script, compatibilityDate: '2025-04-01' });
    const demo = (await (await mf.dispatchFetch('http://anchors.test/__demo')).json()) as { pubB64u: string; runtime: string };
    expect(demo.runtime).toBe('workerd');
    const viaWorker = (input: string, init: RequestInit) => mf!.dispatchFetch(input, init as never) as unknown as Promise<Response>;
    await expectServesVerifiedPacks('http://anchors.test', demo.pubB64u, viaWorker);
    console.info(`workerd runtime test: ${Date.now() - started} ms`);
  });
});
