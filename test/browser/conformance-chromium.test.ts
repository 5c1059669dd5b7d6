// The core conformance scenario (publish, sync, delta, rotation, revocation,
// rollback rejected, tampered pack rejected) in a page of Debian's Chromium,
// from the same file Node, Deno, Bun and workerd run; its results must equal
// Node's word for word. If Chromium is missing, the test fails; it is never skipped.
import { build } from 'esbuild';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { expectConformance } from '../conformance/helpers.ts';
import { ARGS, CHROMIUM } from './chromium.ts';

const HTML = '<!doctype html><meta charset="utf-8"><title>anchorsync conformance</title><script type="module" src="/conformance-page.js"></script>';

let server: Server | undefined;
let profile = '';
let context: BrowserContext | undefined;

afterAll(async () => {
  await context?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  if (profile) await rm(profile, { recursive: true, force: true });
});

describe('core conformance on Chromium', () => {
  it('publish, sync, delta, rotation, revocation pass and a rollback and a tampered pack are refused, exactly as on Node', async () => {
    const out = await build({
      entryPoints: [new URL('./conformance-page.ts', import.meta.url).pathname],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      logLevel: 'silent',
    });
    const script = out.outputFiles[0]!.text;
    // The scenario is runtime-free: a bundle that named a Node built-in would not load in a page at all.
    expect(script).not.toMatch(/from ["']node:/);
    server = createServer((req, res) => {
      const body = req.url === '/' ? HTML : req.url === '/conformance-page.js' ? script : undefined;
      if (body === undefined) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': req.url === '/' ? 'text/html' : 'text/javascript' }).end(body);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    profile = await mkdtemp(join(tmpdir(), 'anchorsync-conformance-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true });
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => globalThis.anchorsyncConformance !== undefined);
    const { runtime, results } = await page.evaluate(() => globalThis.anchorsyncConformance);
    expect(errors).toEqual([]);
    expect(runtime).toMatch(/Chrome\/\d+/);
    await expectConformance(results);
  });
});
