/**
 * Serves the example on three loopback origins: the app
 * (`http://127.0.0.1:<p1>`), the key manager (`http://127.0.0.1:<p2>`: another
 * origin of the same site, as `keys.example.com` is for `app.example.com`)
 * and the peers' pack servers (`http://127.0.0.1:<p3>/<orgId>`, one
 * createAnchorHandler per organisation, CORS open to the key manager's
 * origin only). Used by `pnpm dev` and by the browser tests.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeListener, type FetchHandler } from '@anchorsync/transport-fetch/node';
import { createAnchorHandler } from '@anchorsync/transport-fetch/server';
import type { AppConfig, KeyManagerConfig } from '../browser/config.ts';
import type { InboxMessage } from '../browser/wire.ts';
import { bundleBrowserCode } from './bundle.ts';
import type { DemoOrg } from './demo-orgs.ts';
import { APP_CSS, APP_HTML, appHeaders, KEY_MANAGER_HTML, keyManagerHeaders } from './pages.ts';

export interface ExampleOptions {
  ns: string;
  orgs: readonly DemoOrg[];
  /** Read on every request, so a test or the dev console can change it. */
  inbox: () => readonly InboxMessage[];
  ports?: { app?: number; keyManager?: number; packs?: number };
  /**
   * Host name in the key manager's origin. Default `127.0.0.1`, the app's
   * site. `localhost` makes it another site: a third-party frame, whose
   * IndexedDB Chromium blocks by default (the app then says so).
   */
  keyManagerHost?: string;
  /** The publishers' polling hint. Default the handler's (300 s). */
  refreshAfterSec?: number;
  /** Wraps the pack servers' handler (tests count requests and take it down with this). */
  wrapPackHandler?: (handler: FetchHandler) => FetchHandler;
}

export interface ExampleServers {
  appOrigin: string;
  keyManagerOrigin: string;
  packsOrigin: string;
  /** The app's page. */
  appUrl: string;
  keyManagerUrl: string;
  close(): Promise<void>;
}

type Route = { type: string; body: string; headers?: Record<string, string> };

async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function staticServer(routes: () => Map<string, Route>): Server {
  return createServer((req, res: ServerResponse) => {
    const route = req.method === 'GET' ? routes().get(new URL(req.url ?? '/', 'http://x').pathname) : undefined;
    if (!route) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    res.writeHead(200, { 'content-type': route.type, 'cache-control': 'no-store', ...route.headers }).end(route.body);
  });
}

/** Starts the three servers on 127.0.0.1 (port 0: free ports). */
export async function startExample(options: ExampleOptions): Promise<ExampleServers> {
  const files = await bundleBrowserCode();
  let appOrigin = '';
  let keyManagerOrigin = '';
  let packsOrigin = '';

  const js = (name: string): Route => ({ type: 'text/javascript; charset=utf-8', body: files.get(name) ?? '' });
  const json = (value: unknown): Route => ({ type: 'application/json', body: JSON.stringify(value) });
  const appConfig = (): AppConfig => ({ keyManagerUrl: `${keyManagerOrigin}/key-manager.html`, inboxUrl: '/inbox.json' });
  const keyManagerConfig = (): KeyManagerConfig => ({
    appOrigins: [appOrigin],
    peers: options.orgs.map((o) => ({ ns: options.ns, orgId: o.orgId, baseUrl: `${packsOrigin}/${o.orgId}`, pins: [o.root] })),
  });

  const app = staticServer(
    () =>
      new Map([
        ['/', { type: 'text/html; charset=utf-8', body: APP_HTML, headers: appHeaders(keyManagerOrigin) }],
        ['/app.js', js('/app.js')],
        ['/app.css', { type: 'text/css; charset=utf-8', body: APP_CSS }],
        ['/app-config.json', json(appConfig())],
        ['/inbox.json', json(options.inbox())],
      ]),
  );
  const keyManager = staticServer(
    () =>
      new Map([
        ['/key-manager.html', { type: 'text/html; charset=utf-8', body: KEY_MANAGER_HTML, headers: keyManagerHeaders([appOrigin], [packsOrigin]) }],
        ['/key-manager.js', js('/key-manager.js')],
        ['/key-manager.json', json(keyManagerConfig())],
      ]),
  );

  const handlers = new Map<string, FetchHandler>();
  const packs = createServer(
    toNodeListener((options.wrapPackHandler ?? ((h) => h))(async (request) => {
      const orgId = new URL(request.url).pathname.split('/')[1] ?? '';
      const handler = handlers.get(orgId);
      return handler ? handler(request) : Response.json({ error: { code: 'ERR_NOT_FOUND', message: 'no such organisation' } }, { status: 404 });
    })),
  );

  const servers = [app, keyManager, packs];
  try {
    appOrigin = `http://127.0.0.1:${await listen(app, options.ports?.app ?? 0)}`;
    keyManagerOrigin = `http://${options.keyManagerHost ?? '127.0.0.1'}:${await listen(keyManager, options.ports?.keyManager ?? 0)}`;
    packsOrigin = `http://127.0.0.1:${await listen(packs, options.ports?.packs ?? 0)}`;
  } catch (error) {
    for (const s of servers) s.close();
    throw error;
  }
  for (const org of options.orgs) {
    const refresh = options.refreshAfterSec === undefined ? {} : { refreshAfterSec: options.refreshAfterSec };
    handlers.set(org.orgId, createAnchorHandler({ storage: org.storage, basePath: `/${org.orgId}`, cors: { origins: [keyManagerOrigin] }, ...refresh }));
  }

  return {
    appOrigin,
    keyManagerOrigin,
    packsOrigin,
    appUrl: `${appOrigin}/`,
    keyManagerUrl: `${keyManagerOrigin}/key-manager.html`,
    async close() {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}
