/**
 * `serve`: this store's pack log over HTTP (transport-fetch's
 * `createAnchorHandler` on node:http), so peers can `sync --from` it. With
 * `--accept-push` it is also a relay: pushed packs are applied through every
 * acceptance rule against the keys pinned here, then served on.
 */
import { serveNode } from '@anchorsync/transport-fetch/node';
import { createAnchorHandler, type AnchorHandler } from '@anchorsync/transport-fetch/server';
import { CliError } from '../cli-error.ts';
import type { Command } from '../command.ts';
import { readPolicyFile } from '../files.ts';
import { flag, integer, optionalId, optionalString, requireId, strings } from '../values.ts';

/** Path of the pack routes (transport-fetch protocol v1): `/v1/packs/<ns>/<org>`. */
const PACKS_ROUTE = /^\/v1\/packs\/([^/]+)\/([^/]+)\/?$/;

/**
 * Answers 404 for packs of any namespace (or org) but the served one, so a
 * store that also holds peers' packs publishes only what it was asked to.
 */
function only(handler: AnchorHandler, ns: string, orgId: string | undefined): AnchorHandler {
  return async (request) => {
    const m = PACKS_ROUTE.exec(new URL(request.url).pathname);
    if (m && request.method !== 'OPTIONS') {
      const [reqNs, reqOrg] = [safeDecode(m[1]!), safeDecode(m[2]!)];
      if (reqNs !== ns || (orgId !== undefined && reqOrg !== orgId)) {
        const body = { error: { code: 'ERR_NOT_FOUND', message: `this server serves ${ns}/${orgId ?? '*'} only` } };
        return new Response(JSON.stringify(body), { status: 404, headers: { 'Content-Type': 'application/json' } });
      }
    }
    return handler(request);
  };
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

export const serve: Command = {
  name: 'serve',
  summary: "serve this store's packs over HTTP for peers to sync (and, with --accept-push, relay)",
  usage: ['serve --ns NS [--org ORG] [--port 8787] [--host 127.0.0.1] [--accept-push] [--refresh-after 300] [--policy FILE] [--cors-origin ORIGIN ...]'],
  options: {
    ns: { type: 'string', arg: 'NS', description: 'namespace served' },
    org: { type: 'string', arg: 'ORG', description: 'serve only this organisation (default: every org in NS)' },
    port: { type: 'string', arg: 'PORT', description: 'TCP port (default 8787; 0 picks a free one)' },
    host: { type: 'string', arg: 'HOST', description: 'address to listen on (default 127.0.0.1)' },
    'accept-push': { type: 'boolean', description: 'relay mode: accept pushed packs signed by keys pinned here' },
    'refresh-after': { type: 'string', arg: 'SECONDS', description: 'polling hint sent to clients (default 300)' },
    policy: { type: 'string', arg: 'FILE', description: 'cross-org policy JSON applied to pushed packs' },
    'cors-origin': { type: 'string', multiple: true, arg: 'ORIGIN', description: 'let browser apps on ORIGIN (https://app.example) call; repeat for more' },
  },
  maxArgs: 0,
  notes: [
    'Prints `listening on http://HOST:PORT` as its first line, then serves until SIGINT or SIGTERM.',
    'Routes: GET /v1/packs/<ns>/<org>?since=N, and POST there with --accept-push.',
  ],
  async run(ctx) {
    const ns = requireId(ctx.values, 'ns');
    const orgId = optionalId(ctx.values, 'org');
    const port = integer(ctx.values, 'port', 8787, 0, 65_535);
    const host = optionalString(ctx.values, 'host') ?? '127.0.0.1';
    const refreshAfterSec = integer(ctx.values, 'refresh-after', 300, 0, 31 * 86_400);
    const policy = await readPolicyFile(optionalString(ctx.values, 'policy'));
    const origins = strings(ctx.values, 'cors-origin');
    // Read the store once up front: a corrupt store fails here, not on the first request.
    await ctx.storage.list('fed:');

    const handler = createAnchorHandler({
      storage: ctx.storage,
      acceptPush: flag(ctx.values, 'accept-push'),
      refreshAfterSec,
      ...(policy ? { policy } : {}),
      ...(origins.length > 0 ? { cors: { origins } } : {}),
      onError: (e) => ctx.out.error('ERR_INTERNAL', `request failed: ${e instanceof Error ? e.message : String(e)}`),
    });
    let server: Awaited<ReturnType<typeof serveNode>>;
    try {
      server = await serveNode(only(handler, ns, orgId), { port, host });
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      throw new CliError('ERR_LISTEN', `cannot listen on ${host}:${port} (${typeof code === 'string' ? code : String(e)})`, { cause: e });
    }
    const stopped = ctx.waitForStop();
    ctx.out.result({ url: server.url, ns, ...(orgId === undefined ? {} : { orgId }) });
    ctx.out.line(`listening on ${server.url}`);
    const signal = await stopped;
    await server.close();
    ctx.out.line(`stopped (${signal})`);
    return 0;
  },
};
