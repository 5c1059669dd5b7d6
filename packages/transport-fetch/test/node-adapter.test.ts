import { readFileSync, readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { serveHandler } from './helpers.ts';

describe('the node:http adapter', () => {
  it('passes method, path, query, headers and a streamed body to the handler, and streams the answer back', async () => {
    let seen: { method: string; url: string; custom: string | null; body: string } | undefined;
    const baseUrl = await serveHandler(async (req) => {
      seen = { method: req.method, url: req.url, custom: req.headers.get('x-custom'), body: await req.text() };
      const chunks = ['a', 'b', 'c'];
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          const next = chunks.shift();
          if (next) controller.enqueue(new TextEncoder().encode(next.repeat(100_000)));
          else controller.close();
        },
      });
      const headers = new Headers({ 'X-Answer': '1' });
      headers.append('Set-Cookie', 'a=1');
      headers.append('Set-Cookie', 'b=2');
      return new Response(body, { status: 202, headers });
    });
    const res = await fetch(`${baseUrl}/p/q?x=1`, { method: 'PUT', headers: { 'X-Custom': 'yes' }, body: 'hello' });
    expect(seen).toEqual({ method: 'PUT', url: 'http://localhost/p/q?x=1', custom: 'yes', body: 'hello' });
    expect(res.status).toBe(202);
    expect(res.headers.get('x-answer')).toBe('1');
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await res.text()).toBe('a'.repeat(100_000) + 'b'.repeat(100_000) + 'c'.repeat(100_000));
  });

  it("a client that goes away aborts the handler's Request signal", async () => {
    let aborted!: () => void;
    const sawAbort = new Promise<void>((resolve) => (aborted = resolve));
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    const baseUrl = await serveHandler(async (req) => {
      req.signal.addEventListener('abort', () => aborted());
      entered();
      await sawAbort;
      return new Response('late');
    });
    const client = httpRequest(`${baseUrl}/slow`);
    client.on('error', () => undefined);
    client.end();
    await inHandler;
    client.destroy();
    await sawAbort;
  });

  it('a handler that throws becomes a bare 500 with no details', async () => {
    const baseUrl = await serveHandler(async () => {
      throw new Error('secret internals');
    });
    const res = await fetch(`${baseUrl}/`);
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('{"error":{"code":"ERR_INTERNAL","message":"internal error"}}');
  });
});

describe('packaging', () => {
  const root = new URL('../', import.meta.url);

  it('the client, server and protocol entries use no runtime-specific API: only node.ts may touch Node', () => {
    const files = readdirSync(new URL('src/', root)).filter((f) => f.endsWith('.ts') && f !== 'node.ts');
    expect(files.length).toBeGreaterThan(4);
    for (const file of files) {
      const text = readFileSync(new URL(`src/${file}`, root), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      expect(text, file).not.toMatch(/\bnode:|\bBuffer\b|\bprocess\b|\bDeno\b|\bBun\b|\bwindow\b|\bdocument\b|\brequire\(|crypto\.subtle/);
      for (const [, spec] of text.matchAll(/from '([^'.][^']*)'/g)) expect(spec, file).toBe('@anchorsync/core');
    }
  });

  it('package.json: ESM, side-effect free, types and default for every entry', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
      type: string;
      sideEffects: boolean;
      exports: Record<string, string | { types: string; default: string }>;
    };
    expect(pkg.type).toBe('module');
    expect(pkg.sideEffects).toBe(false);
    // Client and server are separate entries: an app pays only for the side it imports.
    expect(Object.keys(pkg.exports).sort()).toEqual(['./client', './node', './package.json', './protocol', './server']);
    for (const entry of ['./client', './server', './protocol', './node']) expect(Object.keys(pkg.exports[entry] as object)).toEqual(['types', 'default']);
  });
});
