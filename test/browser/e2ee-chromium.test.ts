// The browser-e2ee example in Debian's Chromium, headless, on loopback
// origins: the app (127.0.0.1:p1), its key manager iframe (127.0.0.1:p2,
// another origin of the same site), org A's and org C's pack servers
// (127.0.0.1:p3), and an unlisted origin (127.0.0.1:p4). Nothing is mocked:
// real IndexedDB sealed by encryptedStorage, real postMessage between
// origins, real fetch with CORS, real Web Locks and BroadcastChannel between
// two tabs. If Chromium is missing, every test here fails; none is skipped.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { addSigner, getSyncState, listSigners, retireSigner, revokeSigner } from '@anchorsync/core';
import { chromium, type BrowserContext, type Frame, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoWorld, ORG_A, ORG_C, type DemoWorld } from '../../examples/browser-e2ee/src/server/demo-orgs.ts';
import { startExample, type ExampleServers } from '../../examples/browser-e2ee/src/server/servers.ts';
import { ARGS, CHROMIUM } from './chromium.ts';

const SCREENSHOT = new URL('../../test-results/browser-e2ee.png', import.meta.url).pathname;
const STATUS_COLOURS = { ACTIVE: 'rgb(26, 127, 55)', RETIRED: 'rgb(191, 135, 0)', REVOKED: 'rgb(207, 34, 46)' };

/** The pack servers, as the test sees them: GETs counted, and able to go slow or down. */
const packs = { gets: 0, delayMs: 0, down: false };

let world: DemoWorld;
let example: ExampleServers;
let crossSite: ExampleServers | undefined;
let intruder: Server | undefined;
let intruderOrigin = '';
let profile = '';
let context: BrowserContext | undefined;
let tab: Page;

let setupError: unknown;
function ready(): void {
  if (setupError !== undefined) throw setupError;
}

async function openApp(page: Page, url = example.appUrl): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
  await page.waitForSelector('#sync-status[data-state="done"], #sync-status[data-state="failed"]', { timeout: 15_000 });
}

function keyManagerFrame(page: Page): Frame {
  const frame = page.frames().find((f) => f.url() === example.keyManagerUrl);
  if (!frame) throw new Error('the app has no key manager frame');
  return frame;
}

/** Anchor rows of the table: [org, kid, status]. */
const rows = (page: Page) =>
  page.$$eval('#anchors tbody tr.anchor', (trs) => trs.map((tr) => [(tr as HTMLElement).dataset.org, (tr as HTMLElement).dataset.kid, (tr as HTMLElement).dataset.status]));
/** Each peer's accepted seq, as its table heading shows it. */
const orgSeqs = (page: Page) =>
  page.$$eval('#anchors tbody tr.org', (trs) => Object.fromEntries(trs.map((tr) => [(tr as HTMLElement).dataset.org, Number((tr as HTMLElement).dataset.seq)])));
/** Each inbox message's verdict: VALID or the refusal reason. */
const verdicts = (page: Page) => page.$$eval('#inbox li', (lis) => Object.fromEntries(lis.map((li) => [(li as HTMLElement).dataset.id, (li as HTMLElement).dataset.verdict])));
const status = (page: Page) =>
  page.$eval('#sync-status', (el) => ({ state: (el as HTMLElement).dataset.state, text: el.textContent, packsApplied: Number((el as HTMLElement).dataset.packsApplied) }));

/** What the publishers hold now: the rows the table must show, in its order (peer, then kid). */
async function expectedRows(): Promise<string[][]> {
  const out: string[][] = [];
  for (const org of world.orgs) for (const s of await listSigners(org.storage)) out.push([org.orgId, s.kid, s.status]);
  return out;
}

async function headSeq(orgId: string): Promise<number> {
  return (await getSyncState(world.storageOf(orgId), world.ns, orgId))!.seq;
}

/**
 * Clicks "Sync now" and waits for the outcome; every text #sync-status showed
 * on the way is returned too. `at-once`: a DOM click, so two tabs can click in
 * the same moment (a Playwright click first brings its tab to the front and
 * waits for it to be stable, which a background tab takes seconds to be).
 */
async function syncNow(page: Page, how: 'user' | 'at-once' = 'user'): Promise<{ state: string | undefined; text: string | null; packsApplied: number; seen: string[] }> {
  await page.evaluate(() => {
    const el = document.getElementById('sync-status')!;
    el.dataset.state = 'test-clicked';
    const seen: string[] = [];
    new MutationObserver(() => seen.push(`${el.textContent}|${(document.getElementById('sync-now') as HTMLButtonElement).disabled}`)).observe(el, {
      childList: true,
      characterData: true,
      subtree: true,
    });
    Object.assign(globalThis, { seenStatus: seen });
  });
  if (how === 'user') {
    await page.bringToFront();
    await page.click('#sync-now');
  } else {
    await page.$eval('#sync-now', (button) => (button as HTMLButtonElement).click());
  }
  await page.waitForSelector('#sync-status[data-state="done"], #sync-status[data-state="failed"]', { timeout: 20_000 });
  return { ...(await status(page)), seen: await page.evaluate(() => (globalThis as unknown as { seenStatus: string[] }).seenStatus) };
}

async function setUp(): Promise<void> {
  world = await createDemoWorld();
  example = await startExample({
    ns: world.ns,
    orgs: world.orgs,
    inbox: () => world.inbox,
    wrapPackHandler: (handler) => async (request) => {
      if (request.method === 'GET') packs.gets++;
      if (packs.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, packs.delayMs));
      if (!packs.down) return handler(request);
      const origin = request.headers.get('Origin');
      return new Response('{"error":{"code":"ERR_UNAVAILABLE","message":"down"}}', {
        status: 503,
        headers: { 'content-type': 'application/json', ...(origin ? { 'access-control-allow-origin': origin } : {}) },
      });
    },
  });
  intruder = createServer((_req, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>not the app</title><p>unlisted origin</p>'));
  await new Promise<void>((resolve) => intruder!.listen(0, '127.0.0.1', resolve));
  intruderOrigin = `http://127.0.0.1:${(intruder.address() as AddressInfo).port}`;
  profile = await mkdtemp(join(tmpdir(), 'anchorsync-e2ee-'));
  context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true, viewport: { width: 1100, height: 900 } });
  tab = context.pages()[0] ?? (await context.newPage());
  await openApp(tab);
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
  await example?.close();
  await crossSite?.close();
  intruder?.closeAllConnections();
  await new Promise((resolve) => (intruder ? intruder.close(resolve) : resolve(undefined)));
  if (profile) await rm(profile, { recursive: true, force: true });
});

describe('browser-e2ee: sync, verify, revoke', () => {
  it('on first open the key manager syncs both peers over fetch and the table shows every anchor the publishers hold', async () => {
    ready();
    expect(await status(tab)).toMatchObject({ state: 'done', packsApplied: 2 });
    expect(await rows(tab)).toEqual(await expectedRows());
    expect(await orgSeqs(tab)).toEqual({ [ORG_A]: 1, [ORG_C]: 1 });
    expect(await tab.getAttribute('#last-sync', 'data-at')).toMatch(/^\d{4}-\d\d-\d\dT/);
    // The frame is the sandboxed key manager on its own origin, not the app's.
    const frame = await tab.$eval('iframe', (f) => ({ sandbox: f.getAttribute('sandbox'), src: f.src }));
    expect(frame).toEqual({ sandbox: 'allow-scripts allow-same-origin', src: example.keyManagerUrl });
    expect(new URL(example.keyManagerUrl).origin).not.toBe(new URL(example.appUrl).origin);
  });

  it('a signature by an ACTIVE key shows VALID; a retired key and an edited text are refused', async () => {
    ready();
    expect(await verdicts(tab)).toEqual({ m1: 'VALID', m2: 'VALID', m3: 'RETIRED', m4: 'VALID', m5: 'BAD_SIGNATURE' });
    expect(await tab.textContent('#inbox li[data-id="m2"] .verdict')).toBe('VALID · signed by bob-phone (ACTIVE)');
  });

  it('after org A revokes bob-phone and publishes, "sync now" shows progress, then Bob\'s message is refused as REVOKED', async () => {
    ready();
    await revokeSigner(world.storageOf(ORG_A), 'bob-phone');
    const { pack } = await world.publish(ORG_A);
    // Nothing changes in the page until it syncs: the verdict came from the store, not from the server.
    expect((await verdicts(tab)).m2).toBe('VALID');
    packs.delayMs = 150;
    const outcome = await syncNow(tab).finally(() => (packs.delayMs = 0));
    expect(outcome).toMatchObject({ state: 'done', packsApplied: 1, text: 'done · 1 new pack' });
    // Progress, in order, with the button disabled until the end.
    expect(outcome.seen).toEqual(['syncing…|true', 'syncing… 0/2|true', 'syncing… 1/2|true', 'done · 1 new pack|false']);
    expect(await verdicts(tab)).toEqual({ m1: 'VALID', m2: 'REVOKED', m3: 'RETIRED', m4: 'VALID', m5: 'BAD_SIGNATURE' });
    expect(await tab.textContent('#inbox li[data-id="m2"] .verdict')).toBe('REFUSED · REVOKED');
    expect(await orgSeqs(tab)).toEqual({ [ORG_A]: pack.seq, [ORG_C]: 1 });
    expect(await rows(tab)).toContainEqual([ORG_A, 'bob-phone', 'REVOKED']);
  });

  it('"sync now" says failed when the pack servers are down, and the table and verdicts stay as they were', async () => {
    ready();
    const before = { rows: await rows(tab), verdicts: await verdicts(tab), seqs: await orgSeqs(tab) };
    packs.down = true;
    const outcome = await syncNow(tab).finally(() => (packs.down = false));
    expect(outcome.state).toBe('failed');
    expect(outcome.text).toMatch(/^failed · org-a\.example: ERR_[A-Z_]+, org-c\.example: ERR_[A-Z_]+$/);
    expect(await tab.isEnabled('#sync-now')).toBe(true);
    expect({ rows: await rows(tab), verdicts: await verdicts(tab), seqs: await orgSeqs(tab) }).toEqual(before);
  });
});

describe('browser-e2ee: a page on an unlisted origin', () => {
  /** Posts protocol-v1 requests to `target` at `targetOrigin` and collects replies for `waitMs`; runs in the page. */
  const postRequests = async ({ frameSelector, targetOrigin, waitMs, m1 }: { frameSelector?: string; targetOrigin: string; waitMs: number; m1: unknown }) => {
    const w = globalThis as unknown as Window & { keyManagerPopup?: Window | null };
    const target = frameSelector ? document.querySelector<HTMLIFrameElement>(frameSelector)!.contentWindow! : w.keyManagerPopup!;
    const replies: unknown[] = [];
    const listener = (event: MessageEvent) => {
      if (event.source === target) replies.push(event.data);
    };
    window.addEventListener('message', listener);
    const msg = m1 as { ns: string; orgId: string; kid: string; text: string; signature: string };
    target.postMessage({ anchorsync: 1, id: 'probe.1', op: 'verify', ns: msg.ns, orgId: msg.orgId, kid: msg.kid, message: msg.text, signature: msg.signature }, targetOrigin);
    target.postMessage({ anchorsync: 1, id: 'probe.2', op: 'peers' }, targetOrigin);
    if (!frameSelector) target.postMessage({ anchorsync: 1, id: 'probe.3', op: 'x-sync', ns: msg.ns, orgId: msg.orgId, force: true }, targetOrigin);
    await new Promise((resolve) => setTimeout(resolve, waitMs));
    window.removeEventListener('message', listener);
    return replies as { id: string; ok: boolean }[];
  };

  it('cannot frame the key manager: its frame-ancestors allows the app only, so no key manager runs there', async () => {
    ready();
    const page = await context!.newPage();
    try {
      await page.goto(`${intruderOrigin}/`);
      const blocked = page.waitForEvent('console', { predicate: (m) => /frame-ancestors/.test(m.text()), timeout: 10_000 });
      await page.evaluate((url) => {
        const frame = document.createElement('iframe');
        frame.sandbox.add('allow-scripts', 'allow-same-origin');
        frame.src = url;
        document.body.append(frame);
      }, example.keyManagerUrl);
      await blocked;
      for (const frame of page.frames()) expect(await frame.evaluate(() => typeof (globalThis as { anchorsyncKeyManager?: unknown }).anchorsyncKeyManager)).toBe('undefined');
    } finally {
      await page.close();
    }
  });

  it('requests it posts to an opened key manager get no reply and change nothing; the same requests from the app are answered', async () => {
    ready();
    // A new pack is waiting, so a sync the intruder could trigger would show.
    await addSigner(world.storageOf(ORG_A), { kid: 'erin-tablet' });
    const { pack } = await world.publish(ORG_A);
    const page = await context!.newPage();
    try {
      await page.goto(`${intruderOrigin}/`);
      const popupOpened = page.waitForEvent('popup');
      await page.evaluate((url) => void ((globalThis as { keyManagerPopup?: Window | null }).keyManagerPopup = window.open(url)), example.keyManagerUrl);
      const popup = await popupOpened;
      await popup.waitForFunction(() => (globalThis as { anchorsyncKeyManager?: unknown }).anchorsyncKeyManager !== undefined);
      const getsBefore = packs.gets;
      const replies = await page.evaluate(postRequests, { targetOrigin: example.keyManagerOrigin, waitMs: 1_000, m1: world.inbox[0] });
      expect(replies).toEqual([]);
      const stats = await popup.evaluate(() => (globalThis as unknown as { anchorsyncKeyManager: { stats(): Record<string, number> } }).anchorsyncKeyManager.stats());
      expect(stats).toMatchObject({ dropped: 3, answered: 0, pending: 0 });
      expect(packs.gets, 'no sync reached the pack server').toBe(getsBefore);
      await popup.close();
    } finally {
      await page.close();
    }
    // Control: the very same requests from the app's origin are answered (so the drop was the origin's doing).
    const answered = await tab.evaluate(postRequests, { frameSelector: 'iframe', targetOrigin: example.keyManagerOrigin, waitMs: 500, m1: world.inbox[0] });
    expect(answered.map((r) => [r.id, r.ok]).sort()).toEqual([
      ['probe.1', true],
      ['probe.2', true],
    ]);
    // The app's store is still at the old seq until the app itself syncs, and then it takes the pack.
    expect((await orgSeqs(tab))[ORG_A]).toBe(pack.seq - 1);
    expect(await syncNow(tab)).toMatchObject({ state: 'done', packsApplied: 1 });
    expect((await orgSeqs(tab))[ORG_A]).toBe(pack.seq);
  });
});

describe('browser-e2ee: two tabs on one key-manager origin', () => {
  let second: Page;

  it('two tabs syncing at once take turns through Web Locks and leave one consistent state, with no error', async () => {
    ready();
    second = await context!.newPage();
    await openApp(second);
    const storageA = world.storageOf(ORG_A);
    await addSigner(storageA, { kid: 'frank-laptop' });
    await world.publish(ORG_A);
    await addSigner(storageA, { kid: 'gina-phone' });
    await world.publish(ORG_A);
    await retireSigner(storageA, 'erin-tablet');
    await world.publish(ORG_A);
    const head = await headSeq(ORG_A);

    const frame = keyManagerFrame(tab);
    expect(await frame.evaluate(() => typeof navigator.locks?.request)).toBe('function');
    packs.delayMs = 250;
    let contended = false;
    try {
      const both = Promise.all([syncNow(tab, 'at-once'), syncNow(second, 'at-once')]);
      // While one tab's key manager pulls, the other's waits on the same named lock.
      const lockName = `anchorsync:peer:${world.ns}:${ORG_A}`;
      for (let i = 0; i < 60 && !contended; i++) {
        const { held = [], pending = [] } = await frame.evaluate(() => navigator.locks.query());
        contended = held.filter((l) => l.name === lockName).length === 1 && pending.some((l) => l.name === lockName);
        if (!contended) await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const [one, two] = await both;
      expect(one.state, one.text ?? '').toBe('done');
      expect(two.state, two.text ?? '').toBe('done');
      // Each new pack applied exactly once across both tabs: the second found the store up to date.
      expect(one.packsApplied + two.packsApplied).toBe(3);
    } finally {
      packs.delayMs = 0;
    }
    expect(contended, 'saw one tab hold the peer lock while the other waited').toBe(true);
    expect(await orgSeqs(tab)).toEqual({ [ORG_A]: head, [ORG_C]: 1 });
    expect(await orgSeqs(second)).toEqual(await orgSeqs(tab));
    expect(await rows(tab)).toEqual(await expectedRows());
    expect(await rows(second)).toEqual(await rows(tab));
    expect(await verdicts(second)).toEqual(await verdicts(tab));
    expect(await verdicts(tab)).toEqual({ m1: 'VALID', m2: 'REVOKED', m3: 'RETIRED', m4: 'VALID', m5: 'BAD_SIGNATURE' });
  });

  it('a tab that did not sync refreshes its table when the other tab applies a pack (BroadcastChannel)', async () => {
    ready();
    await addSigner(world.storageOf(ORG_C), { kid: 'hana-phone' });
    const { pack } = await world.publish(ORG_C);
    expect(await syncNow(tab)).toMatchObject({ state: 'done', packsApplied: 1 });
    await second.waitForFunction((seq) => document.querySelector('#anchors tr.org[data-org="org-c.example"]')?.getAttribute('data-seq') === String(seq), pack.seq, {
      timeout: 5_000,
    });
    expect(await rows(second)).toEqual(await rows(tab));
    expect(await rows(second)).toContainEqual([ORG_C, 'hana-phone', 'ACTIVE']);
    await second.close();
  });
});

describe('browser-e2ee: the store survives a reload', () => {
  it('after a reload, with the pack servers down, the table and verdicts come from the encrypted IndexedDB with no request', async () => {
    ready();
    const before = { rows: await rows(tab), verdicts: await verdicts(tab), seqs: await orgSeqs(tab) };
    packs.down = true;
    const getsBefore = packs.gets;
    try {
      await tab.reload();
      await tab.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
      expect({ rows: await rows(tab), verdicts: await verdicts(tab), seqs: await orgSeqs(tab) }).toEqual(before);
      await tab.waitForSelector('#sync-status[data-state="done"], #sync-status[data-state="failed"]');
      expect(await status(tab)).toMatchObject({ state: 'done', text: 'done · up to date' });
    } finally {
      packs.down = false;
    }
    // Not due yet (the publishers asked for 300 s): the reload asked the network for nothing.
    expect(packs.gets - getsBefore).toBe(0);
  });

  it('what IndexedDB holds is sealed: no organisation, kid or public key in any stored name or value', async () => {
    ready();
    const raw = await keyManagerFrame(tab).evaluate(
      () =>
        new Promise<string>((resolve, reject) => {
          const open = indexedDB.open('browser-e2ee-trust');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const store = open.result.transaction('kv').objectStore('kv');
            const keys = store.getAllKeys();
            const values = store.getAll();
            values.onsuccess = () => {
              resolve(JSON.stringify({ keys: keys.result, values: values.result }));
              open.result.close();
            };
          };
        }),
    );
    const anchors = await Promise.all(world.orgs.map(async (o) => listSigners(o.storage)));
    expect(raw.length).toBeGreaterThan(1000);
    for (const needle of [ORG_A, ORG_C, world.ns, 'fed:', ...anchors.flat().flatMap((a) => [a.kid, a.pubB64u])]) expect(raw).not.toContain(needle);
  });

  it('the store\'s key is a pair of non-extractable CryptoKeys: script on the key manager\'s origin can read the record but not the key', async () => {
    ready();
    const seen = await keyManagerFrame(tab).evaluate(
      () =>
        new Promise<unknown>((resolve, reject) => {
          const open = indexedDB.open('browser-e2ee-key');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const read = open.result.transaction('keys').objectStore('keys').get('trust-store-key');
            read.onerror = () => reject(read.error);
            read.onsuccess = async () => {
              open.result.close();
              const key = read.result as { values: CryptoKey; names: CryptoKey };
              const exported = await Promise.allSettled([crypto.subtle.exportKey('raw', key.values), crypto.subtle.exportKey('raw', key.names)]);
              resolve({
                values: { ...key.values.algorithm, extractable: key.values.extractable },
                names: { name: key.names.algorithm.name, extractable: key.names.extractable },
                exported: exported.map((r) => (r.status === 'rejected' ? (r.reason as Error).name : 'exported')),
              });
            };
          };
        }),
    );
    expect(seen).toEqual({
      values: { name: 'AES-GCM', length: 256, extractable: false },
      names: { name: 'HMAC', extractable: false },
      exported: ['InvalidAccessError', 'InvalidAccessError'],
    });
  });
});

describe('browser-e2ee: how the page looks', () => {
  it('a screenshot is saved, and the table shows each anchor with its status colour', async () => {
    ready();
    await mkdir(dirname(SCREENSHOT), { recursive: true });
    await tab.screenshot({ path: SCREENSHOT, fullPage: true });
    const shown = await tab.$$eval('#anchors tbody tr.anchor', (trs) =>
      trs.map((tr) => {
        const cells = Array.from(tr.querySelectorAll('td'), (td) => td.textContent);
        return { cells: [cells[0], cells[1], cells[2]], colour: getComputedStyle(tr.querySelector('.status')!).backgroundColor };
      }),
    );
    const expected = await expectedRows();
    expect(shown.map((r) => r.cells)).toEqual(expected);
    for (const r of shown) expect(r.colour, `${r.cells[1]} ${r.cells[2]}`).toBe(STATUS_COLOURS[r.cells[2] as keyof typeof STATUS_COLOURS]);
    expect(new Set(shown.map((r) => r.cells[2]))).toEqual(new Set(['ACTIVE', 'RETIRED', 'REVOKED']));
  });
});

describe('browser-e2ee: a key manager on another site', () => {
  it('with its storage blocked by Chromium (third-party frame), the app says the messages cannot be checked and shows no verdict', async () => {
    ready();
    crossSite = await startExample({ ns: world.ns, orgs: world.orgs, inbox: () => world.inbox, keyManagerHost: 'localhost' });
    const page = await context!.newPage();
    try {
      await page.goto(crossSite.appUrl);
      await page.waitForSelector('#problem:not([hidden])', { timeout: 10_000 });
      expect(await page.textContent('#problem')).toMatch(/^Messages from other organisations cannot be checked: the key manager could not start: (ERR_STORAGE|[A-Za-z]+Error)\.$/);
      expect(await verdicts(page)).toEqual({});
      expect(await page.isVisible('body[data-ready="true"]')).toBe(false);
    } finally {
      await page.close();
    }
  });
});
