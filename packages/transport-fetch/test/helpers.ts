/**
 * Shared fixtures: real publishers (addSigner + publishAnchorPack), clients
 * that pin the publisher's key, real node:http servers, and a fetch that
 * records what crossed the wire.
 */
import { afterEach, expect } from 'vitest';
import { createAnchorHandler, type AnchorHandlerOptions } from '../src/server.ts';
import { serveNode } from '../src/node.ts';

export { NS, makePublisher, pinned, type Publisher } from '../../../test/fixtures/publisher.ts';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** Serves a real anchor handler on 127.0.0.1 (a free port) until the test ends. */
export async function serveAnchors(options: AnchorHandlerOptions): Promise<string> {
  const { url, close } = await serveNode(createAnchorHandler(options));
  closers.push(close);
  return url;
}

/** Serves any fetch-style handler until the test ends. */
export async function serveHandler(handler: (req: Request) => Promise<Response>): Promise<string> {
  const { url, close } = await serveNode(handler);
  closers.push(close);
  return url;
}

/** Registers a cleanup to run after the test. */
export function onCleanup(close: () => Promise<void>): void {
  closers.push(close);
}

export interface Exchange {
  method: string;
  url: string;
  status: number;
  bodyBytes: number;
  body: string;
  requestHeaders: Headers;
}

/** A fetch that counts every response body byte, and the exchanges it saw. */
export function recordingFetch(): { fetch: (input: string, init: RequestInit) => Promise<Response>; log: Exchange[] } {
  const log: Exchange[] = [];
  return {
    log,
    async fetch(input, init) {
      const res = await fetch(input, init);
      const body = new Uint8Array(await res.arrayBuffer());
      log.push({ method: init.method ?? 'GET', url: input, status: res.status, bodyBytes: body.byteLength, body: new TextDecoder().decode(body), requestHeaders: new Headers(init.headers) });
      const nullBody = res.status === 204 || res.status === 304;
      return new Response(nullBody ? null : body, { status: res.status, headers: res.headers });
    },
  };
}

/** The parsed JSON error body, after checking it is exactly `{error: {code, message}}` and leaks nothing. */
export async function wireError(res: Response): Promise<{ code: string; message: string }> {
  expect(res.headers.get('content-type')).toBe('application/json');
  const text = await res.text();
  expectNoLeak(text);
  const body = JSON.parse(text) as { error: { code: string; message: string } };
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message']);
  return body.error;
}

/** No stack frames, source paths or internal names in text sent to a client. */
export function expectNoLeak(text: string): void {
  expect(text).not.toMatch(/\n\s+at |\bat [\w.<>]+ \(|\.ts:\d|node_modules|file:\/\/|\/work\/|Error:/);
}
