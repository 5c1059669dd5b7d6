// idbStorage on real IndexedDB in Debian's Chromium (installed by .ci/run,
// never downloaded): the shared conformance cases and the IndexedDB cases run
// once in a window and once in a dedicated Web Worker, then data must survive
// a reload and a browser restart, and a real quota error must come out typed.
// If Chromium is missing, every test here fails; none is skipped.
import { build } from 'esbuild';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conformanceCases } from '../storage/conformance-cases.ts';
import { idbCases } from './idb-cases.ts';
import type { CaseResult } from './run-cases.ts';
import { ARGS, CHROMIUM } from './chromium.ts';

const HTML = '<!doctype html><meta charset="utf-8"><title>idbStorage</title><script type="module" src="/idb-page.js"></script>';

let server: Server | undefined;
let origin = '';
let profile = '';
let context: BrowserContext | undefined;
let page: Page;
const results: Record<'window' | 'worker', Map<string, CaseResult>> = { window: new Map(), worker: new Map() };

async function bundle(): Promise<Map<string, string>> {
  const out = await build({
    entryPoints: { 'idb-page': new URL('./idb-page.ts', import.meta.url).pathname, 'idb-worker': new URL('./idb-worker.ts', import.meta.url).pathname },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outdir: '/out',
    logLevel: 'silent',
  });
  return new Map(out.outputFiles.map((f) => [f.path.slice('/out'.length), f.text]));
}

async function openPage(): Promise<void> {
  context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true });
  page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => globalThis.anchorsyncIdb !== undefined);
}

// A setup failure (no Chromium, a launch error) is kept and thrown by every test,
// so a machine without Chromium reports failures, never skips.
let setupError: unknown;
function ready(): void {
  if (setupError !== undefined) throw setupError;
}

async function setUp(): Promise<void> {
  const files = await bundle();
  server = createServer((req, res) => {
    const path = req.url ?? '';
    const body = path === '/' ? HTML : files.get(path);
    if (body === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': path === '/' ? 'text/html' : 'text/javascript', 'cache-control': 'no-store' }).end(body);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  profile = await mkdtemp(join(tmpdir(), 'anchorsync-chromium-'));
  await openPage();
  const cdp = await context!.newCDPSession(page);
  console.info(`idbStorage browser tests on ${((await cdp.send('Browser.getVersion')) as { product: string }).product}`);
  await cdp.detach();
  for (const r of await page.evaluate(() => globalThis.anchorsyncIdb.runInWindow())) results.window.set(`${r.suite}: ${r.name}`, r);
  for (const r of await page.evaluate(() => globalThis.anchorsyncIdb.runInWorker())) results.worker.set(`${r.suite}: ${r.name}`, r);
}

beforeAll(async () => {
  try {
    await setUp();
  } catch (e) {
    setupError = e;
  }
}, 60_000);

afterAll(async () => {
  await context?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  if (profile) await rm(profile, { recursive: true, force: true });
});

const names = [
  ...conformanceCases.map((c) => `conformance: ${c.name}`),
  ...idbCases.map((c) => `idb: ${c.name}`),
  ...conformanceCases.map((c) => `encrypted: ${c.name}`),
];

for (const where of ['window', 'worker'] as const) {
  describe(`idbStorage on real IndexedDB in a Chromium ${where}`, () => {
    for (const name of names) {
      it(name, () => {
        ready();
        const r = results[where].get(name);
        expect(r, 'the case ran in the browser').toBeDefined();
        expect(r?.error).toBeUndefined();
        expect(r?.ok).toBe(true);
      });
    }
    it('ran exactly the cases this file knows, no more and no fewer', () => {
      ready();
      expect([...results[where].keys()]).toEqual(names);
    });
  });
}

describe('idbStorage keeps data in a real Chromium profile', () => {
  it(`Debian's Chromium at ${CHROMIUM} starts and serves the test page`, () => {
    ready();
    expect(page.url()).toBe(`${origin}/`);
  });

  const dbName = 'anchorsync-durable';
  const value = { seq: 3, anchors: [{ kid: 'k1', status: 'ACTIVE' }], note: 'Grüße 😀' };

  it('a value written in one page load is read after a reload, same database', async () => {
    ready();
    await page.evaluate(([db, v]) => globalThis.anchorsyncIdb.write(db, 'fed:reload', v), [dbName, value] as const);
    await page.reload();
    await page.waitForFunction(() => globalThis.anchorsyncIdb !== undefined);
    expect(await page.evaluate((db) => globalThis.anchorsyncIdb.read(db, 'fed:reload'), dbName)).toEqual(value);
    expect(await page.evaluate((db) => globalThis.anchorsyncIdb.read(db, 'fed:missing'), dbName)).toBeUndefined();
  });

  it('a write over the origin quota fails with ERR_STORAGE carrying QuotaExceededError, and the stored value stays', async () => {
    ready();
    // A real quota, enforced by Chromium's storage layer. Chromium applies an override
    // only to an origin that has not touched storage yet, so this runs on a second
    // origin (localhost instead of 127.0.0.1, same server) with the quota set first.
    const quotaOrigin = origin.replace('127.0.0.1', 'localhost');
    const quotaPage = await context!.newPage();
    const cdp = await context!.newCDPSession(quotaPage);
    const db = 'anchorsync-quota';
    const big = 1024 * 1024;
    const writeBig = () => quotaPage.evaluate(([d, n]) => globalThis.anchorsyncIdb.writeRandom(d, 'fed:k', n), [db, big] as const);
    try {
      await cdp.send('Storage.overrideQuotaForOrigin', { origin: quotaOrigin, quotaSize: 256 * 1024 });
      await quotaPage.goto(`${quotaOrigin}/`);
      await quotaPage.waitForFunction(() => globalThis.anchorsyncIdb !== undefined);
      await quotaPage.evaluate((d) => globalThis.anchorsyncIdb.write(d, 'fed:k', 'before'), db);
      expect(await writeBig()).toEqual({ ok: false, code: 'ERR_STORAGE', causeName: 'QuotaExceededError', detailsError: 'QuotaExceededError' });
      expect(await quotaPage.evaluate((d) => globalThis.anchorsyncIdb.read(d, 'fed:k'), db)).toBe('before');
      await cdp.send('Storage.overrideQuotaForOrigin', { origin: quotaOrigin });
      // The same write with the quota lifted goes through: it was the quota that refused it.
      expect(await writeBig()).toEqual({ ok: true });
    } finally {
      await cdp.detach();
      await quotaPage.close();
    }
  });

  it('the value is still there after the browser is closed and started again on the same profile', async () => {
    ready();
    await context!.close();
    context = undefined;
    await openPage();
    expect(await page.evaluate((db) => globalThis.anchorsyncIdb.read(db, 'fed:reload'), dbName)).toEqual(value);
  });
});
