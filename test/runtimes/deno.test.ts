import { afterAll, describe, expect, it } from 'vitest';
import { expectServesVerifiedPacks, FIXTURES, runtimeBin, startServer, stop, type Started } from './helpers.ts';

describe('Deno', () => {
  let server: Started | undefined;
  afterAll(() => stop(server));

  it('Deno.serve answers with the unchanged handler, and what it serves verifies', { timeout: 60_000 }, async () => {
    const started = Date.now();
    server = await startServer(runtimeBin('deno'), ['run', '-A', '--no-lock', `${FIXTURES}deno-server.ts`]);
    expect(server.info.runtime).toMatch(/^deno 2\./);
    await expectServesVerifiedPacks(`http://127.0.0.1:${server.info.port}`, server.info.pubB64u);
    console.info(`deno runtime test: ${Date.now() - started} ms`);
  });
});
