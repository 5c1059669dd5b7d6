/**
 * Node adapter: runs a fetch-style handler (such as `createAnchorHandler()`)
 * on node:http. The request body is streamed with backpressure, so the
 * handler's size limit bounds memory; a client that goes away aborts the
 * Request's signal and stops the response.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FetchHandler = (request: Request) => Promise<Response>;
export type NodeServer = { server: Server; url: string; close: () => Promise<void> };

/**
 * Adapts `handler` to a node:http request listener.
 *
 * @example
 * ```ts
 * http.createServer(toNodeListener(createAnchorHandler({ storage }))).listen(8080)
 * ```
 */
export function toNodeListener(handler: FetchHandler): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    serve(handler, req, res).catch(() => {
      // Half a response must not look whole: after the headers, only closing the connection is honest.
      if (res.headersSent) return void res.destroy();
      res.writeHead(500, { 'Content-Type': 'application/json', Connection: 'close' });
      res.end('{"error":{"code":"ERR_INTERNAL","message":"internal error"}}');
    });
  };
}

async function serve(handler: FetchHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const controller = new AbortController();
  res.once('close', () => res.writableFinished || controller.abort());
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  const body = req.method === 'GET' || req.method === 'HEAD' ? null : bodyOf(req);
  const init = { method: req.method ?? 'GET', headers, signal: controller.signal, body, duplex: 'half' };
  // The handler routes on path and query only; the Host header is not trusted into the URL.
  const response = await handler(new Request(new URL(req.url ?? '/', 'http://localhost'), init as RequestInit));
  if (res.destroyed) return void response.body?.cancel().catch(() => undefined);
  // A body left unread (refused early, or too large) is not drained: the connection closes instead.
  if (!req.complete) res.setHeader('Connection', 'close');
  response.headers.forEach((value, name) => name !== 'set-cookie' && res.setHeader(name, value));
  if (response.headers.has('set-cookie')) res.setHeader('Set-Cookie', response.headers.getSetCookie());
  res.writeHead(response.status);
  if (response.body === null || req.method === 'HEAD') return void res.end();
  const reader = response.body.getReader();
  res.once('close', () => reader.cancel().catch(() => undefined));
  for (let chunk = await reader.read(); !chunk.done && !res.destroyed; chunk = await reader.read()) {
    if (!res.write(chunk.value)) await drained(res);
  }
  res.end();
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => (res.off('drain', done), res.off('close', done), resolve());
    res.on('drain', done).on('close', done);
  });
}

/** The request body as a web stream that reads from the socket only as fast as the handler consumes. */
function bodyOf(req: IncomingMessage): ReadableStream<Uint8Array> {
  let open = true;
  const settle = (fn: () => void) => open && ((open = false), fn());
  return new ReadableStream<Uint8Array>({
    start(controller) {
      req.on('data', (chunk: Buffer) => {
        if (!open) return;
        controller.enqueue(new Uint8Array(chunk));
        if ((controller.desiredSize ?? 0) <= 0) req.pause();
      });
      req.once('end', () => settle(() => controller.close()));
      req.once('error', (error) => settle(() => controller.error(error)));
      req.once('close', () => settle(() => controller.error(new Error('request closed before its body ended'))));
    },
    pull: () => void req.resume(),
    cancel: () => void ((open = false), req.pause()),
  });
}

/**
 * Starts a node:http server for `handler`; port 0 picks a free port.
 *
 * @example
 * ```ts
 * const { url, close } = await serveNode(createAnchorHandler({ storage }), { port: 8080 })
 * ```
 */
export async function serveNode(handler: FetchHandler, options: { port?: number; host?: string } = {}): Promise<NodeServer> {
  const server = createServer(toNodeListener(handler));
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(options.port ?? 0, host, resolve));
  const { port } = server.address() as AddressInfo;
  const close = () => new Promise<void>((resolve) => (server.close(() => resolve()), server.closeAllConnections()));
  return { server, url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, close };
}
