import { afterAll, describe, expect, it } from 'vitest';
import { expectServesVerifiedPacks, FIXTURES, runtimeBin, startServer, stop, type Started } from './helpers.ts';

describe('Bun', () => {
  let server: Started | undefined;
  afterAll(() => stop(server));

  it('Bun.serve answers with the unchanged handler, and what it serves verifies', { timeout: 60_000 }, async () => {
    const started = Date.now();
    server = await startServer(runtimeBin('bun'), ['run', `${FIXTURES}bun-server.ts`]);
    expect(server.info.runtime).toMatch(/^bun 1\./);
    await expectServesVerifiedPacks(`http://127.0.0.1:${server.info.port}`, server.info.pubB64u);
    console.info(`bun runtime test: ${Date.now() - started} ms`);
  });
});
