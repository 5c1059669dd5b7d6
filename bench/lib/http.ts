/**
 * A relay over real HTTP on 127.0.0.1 for the sync benchmarks: the
 * transport-fetch handler on node:http (serveNode), with every byte the
 * server writes counted on its sockets (headers included), and every
 * response body counted separately (the pack payload).
 */
import type { Socket } from 'node:net';
import { applyAnchorPack, pinTrustAnchor, type AnchorPack, type StorageDriver } from '@anchorsync/core';
import { memoryStorage } from '@anchorsync/storage-memory';
import { fetchTransport } from '@anchorsync/transport-fetch/client';
import { serveNode } from '@anchorsync/transport-fetch/node';
import { createAnchorHandler } from '@anchorsync/transport-fetch/server';
import { NS, T0, type BenchOrg } from './packs.ts';

export interface Counters {
  requests: number;
  notModified: number;
  /** Response body bytes: the pack payload (JSON pages). */
  bodyBytes: number;
  /** Everything the server wrote to its sockets: status lines, headers, bodies. */
  wireBytes: number;
}

export interface Relay {
  url: string;
  storage: StorageDriver;
  /** Counters since the last call. */
  take(): Counters;
  /** Stores packs on the relay as a publisher's pushes would (verified against its pins). */
  add(org: BenchOrg, packs: AnchorPack[]): Promise<void>;
  close(): Promise<void>;
}

export async function startRelay(): Promise<Relay> {
  const storage = memoryStorage();
  const handler = createAnchorHandler({ storage, clock: () => T0 + 1000 });
  let counters: Counters = { requests: 0, notModified: 0, bodyBytes: 0, wireBytes: 0 };
  const counted = async (request: Request): Promise<Response> => {
    const response = await handler(request);
    counters.requests++;
    if (response.status === 304) counters.notModified++;
    if (response.body === null) return response;
    const body = new Uint8Array(await response.arrayBuffer());
    counters.bodyBytes += body.length;
    return new Response(body, { status: response.status, headers: response.headers });
  };
  const server = await serveNode(counted);
  const sockets = new Set<Socket>();
  let written = 0;
  server.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => {
      written += socket.bytesWritten;
      sockets.delete(socket);
    });
  });
  let reported = 0;
  const pinned = new Set<string>();
  return {
    url: server.url,
    storage,
    take() {
      const total = written + [...sockets].reduce((sum, s) => sum + s.bytesWritten, 0);
      const out = { ...counters, wireBytes: total - reported };
      reported = total;
      counters = { requests: 0, notModified: 0, bodyBytes: 0, wireBytes: 0 };
      return out;
    },
    async add(org, packs) {
      if (!pinned.has(org.orgId)) {
        await pinTrustAnchor(storage, { ns: NS, orgId: org.orgId, kid: 'root', pubB64u: org.pubB64u }, { clock: () => T0 });
        pinned.add(org.orgId);
      }
      for (const pack of packs) await applyAnchorPack({ storage, clock: () => T0 + 1000 }, pack, { keepPack: true });
    },
    close: () => server.close(),
  };
}

/** A client store with the roots of `orgs` pinned. */
export async function clientFor(orgs: readonly BenchOrg[]): Promise<StorageDriver> {
  const storage = memoryStorage();
  for (const org of orgs) await pinTrustAnchor(storage, { ns: NS, orgId: org.orgId, kid: 'root', pubB64u: org.pubB64u }, { clock: () => T0 });
  return storage;
}

/** The fetch transport to the relay, retries off (a failure should show, not hide). */
export const transportTo = (relay: Relay) => fetchTransport({ baseUrl: relay.url, retries: 0, timeoutMs: 60_000 });
