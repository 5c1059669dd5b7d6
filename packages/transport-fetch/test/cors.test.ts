import { describe, expect, it } from 'vitest';
import { isAnchorSyncError } from '@anchorsync/core';
import { memoryStorage } from '@anchorsync/storage-memory';
import { createAnchorHandler } from '../src/server.ts';
import { makePublisher, serveAnchors, wireError } from './helpers.ts';

const APP = 'https://app.example';

describe('CORS', () => {
  it('an allowed origin is echoed exactly, with Vary and the protocol headers exposed', async () => {
    const pub = await makePublisher('org-a', 1);
    const baseUrl = await serveAnchors({ storage: pub.storage, cors: { origins: [APP, 'http://localhost:5173'] } });
    const res = await fetch(`${baseUrl}/v1/packs/prod/org-a?since=0`, { headers: { Origin: APP } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('vary')).toBe('Origin');
    expect(res.headers.get('access-control-expose-headers')).toBe('ETag, Anchorsync-Refresh-After, Retry-After');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();

    // Errors are readable by the page too.
    const missing = await fetch(`${baseUrl}/v1/packs/prod/org-zz?since=0`, { headers: { Origin: APP } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('access-control-allow-origin')).toBe(APP);
    expect((await wireError(missing)).code).toBe('ERR_NOT_FOUND');
  });

  it('another origin (even a prefix or a different port) gets no grant, only Vary', async () => {
    const pub = await makePublisher('org-a', 1);
    const baseUrl = await serveAnchors({ storage: pub.storage, cors: { origins: [APP] } });
    for (const origin of ['https://evil.example', 'https://app.example.evil', 'https://app.example:8443', 'http://app.example', 'null']) {
      const res = await fetch(`${baseUrl}/v1/packs/prod/org-a?since=0`, { headers: { Origin: origin } });
      expect(res.headers.get('access-control-allow-origin'), origin).toBeNull();
      expect(res.headers.get('vary')).toBe('Origin');
    }
  });

  it('a preflight from an allowed origin is granted with the methods and headers the protocol uses', async () => {
    const pub = await makePublisher('org-a', 1);
    const baseUrl = await serveAnchors({ storage: pub.storage, acceptPush: true, cors: { origins: [APP] } });
    const res = await fetch(`${baseUrl}/v1/packs/prod/org-a`, {
      method: 'OPTIONS',
      headers: { Origin: APP, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, POST, OPTIONS');
    expect(res.headers.get('access-control-allow-headers')).toBe('Content-Type, If-None-Match');
    expect(Number(res.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    expect(res.headers.get('vary')).toBe('Origin');

    const denied = await fetch(`${baseUrl}/v1/packs/prod/org-a`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example' } });
    expect(denied.status).toBe(204);
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
    expect(denied.headers.get('access-control-allow-methods')).toBeNull();
  });

  it('a server that does not relay does not offer POST in its preflight; without cors no CORS headers at all', async () => {
    const pub = await makePublisher('org-a', 1);
    const withCors = await serveAnchors({ storage: pub.storage, cors: { origins: [APP] } });
    const pre = await fetch(`${withCors}/v1/packs/prod/org-a`, { method: 'OPTIONS', headers: { Origin: APP } });
    expect(pre.headers.get('access-control-allow-methods')).toBe('GET, OPTIONS');

    const plain = await serveAnchors({ storage: pub.storage });
    const res = await fetch(`${plain}/v1/packs/prod/org-a?since=0`, { headers: { Origin: APP } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('vary')).toBeNull();
  });

  it('a configured origin that is not a bare origin is refused at creation', () => {
    for (const origin of ['*', 'https://app.example/', 'app.example', 'https://app.example/path', 'null']) {
      let error: unknown;
      try {
        createAnchorHandler({ storage: memoryStorage(), cors: { origins: [origin] } });
      } catch (e) {
        error = e;
      }
      expect(isAnchorSyncError(error, 'ERR_INVALID_ARGUMENT'), origin).toBe(true);
    }
  });
});
