/**
 * Local runs without a Cloudflare account (Node only, not part of the
 * Worker): bundles src/worker.ts the way wrangler would and starts two
 * organisations' copies of it in workerd through miniflare, each with its
 * own KV namespace. Org A follows org B; A's outbound fetches are routed to
 * B's Worker, so the cron sync crosses a real workerd fetch with no network.
 * Each org's offline publisher is a memory store here, pushing its packs.
 */
import { build } from 'esbuild';
import { Miniflare, type WorkerOptions } from 'miniflare';
import { addSigner, pushAnchorPack, publishAnchorPack, type SignerRecord, type StorageDriver } from '@anchorsync/core';
import { kvStorage, type KVNamespaceLike } from '@anchorsync/storage-cloudflare-kv';
import { memoryStorage } from '@anchorsync/storage-memory';
import { fetchTransport, type FetchLike } from '@anchorsync/transport-fetch/client';
import type { OrgConfig, PeerConfig } from './config.ts';

export const NS = 'prod';
/** The schedule in wrangler.toml; miniflare has no cron timer, so runs are triggered by hand. */
export const CRON = '*/15 * * * *';

/** The Worker as one ES module, as wrangler would upload it. No `nodejs_compat` needed. */
export async function bundleWorker(): Promise<string> {
  const out = await build({
    entryPoints: [new URL('./worker.ts', import.meta.url).pathname],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['workerd', 'worker', 'browser'],
    target: 'es2022',
  });
  return out.outputFiles[0]!.text;
}

/** One organisation: its offline publisher (holding the secret keys) and its Worker. */
export interface LocalOrg {
  name: 'org-a' | 'org-b';
  orgId: string;
  url: string;
  publisher: StorageDriver;
  root: SignerRecord;
  /** Publishes the next pack from the publisher's signers and pushes it to this org's Worker. */
  publishAndPush(): Promise<number>;
  /** fetch() into this org's Worker. */
  fetch: FetchLike;
  /** This org's KV namespace, read from Node. */
  kv(): Promise<StorageDriver>;
  /** Runs the Worker's cron handler once. */
  cron(): Promise<{ outcome: string }>;
}

export interface Federation {
  mf: Miniflare;
  a: LocalOrg;
  b: LocalOrg;
  dispose(): Promise<void>;
}

export interface FederationOptions {
  /** Serve org A on this port of 127.0.0.1 (dev mode); default: no port. */
  port?: number;
  /** Receives every console line the Workers print. */
  onLog?: (line: { level: string; message: string }) => void;
}

/** Starts org A and org B, each with a root and a chat key and its first pack pushed. */
export async function startFederation(options: FederationOptions = {}): Promise<Federation> {
  const script = await bundleWorker();
  const keys = new Map<string, { publisher: StorageDriver; root: SignerRecord }>();
  for (const name of ['org-a', 'org-b']) {
    const publisher = memoryStorage();
    const root = await addSigner(publisher, { kid: `${name}-root` });
    await addSigner(publisher, { kid: `${name}-chat` });
    keys.set(name, { publisher, root });
  }
  const orgConfig = (name: string): OrgConfig => ({ ns: NS, orgId: `${name}.example`, pins: [{ kid: keys.get(name)!.root.kid, pubB64u: keys.get(name)!.root.pubB64u }] });
  const peerB: PeerConfig = { ...orgConfig('org-b'), baseUrl: 'https://anchors.org-b.example' };
  const worker = (name: string, peers: PeerConfig[]): WorkerOptions => ({
    name,
    modules: true,
    script,
    compatibilityDate: '2025-04-01',
    kvNamespaces: { ANCHORS: `${name}-anchors` },
    bindings: { ORG: JSON.stringify(orgConfig(name)), PEERS: JSON.stringify(peers) },
  });
  const mf = new Miniflare({
    workers: [
      // A's outbound fetch (its peer B) goes to B's Worker: no network needed.
      { ...worker('org-a', [peerB]), outboundService: 'org-b' },
      worker('org-b', []),
    ],
    ...(options.port === undefined ? {} : { host: '127.0.0.1', port: options.port }),
    unsafeTriggerHandlers: true,
    handleStructuredLogs: (log: { level: string; message: string }) => options.onLog?.({ level: log.level, message: log.message }),
  });
  await mf.ready;

  const org = async (name: 'org-a' | 'org-b'): Promise<LocalOrg> => {
    const { publisher, root } = keys.get(name)!;
    const orgId = `${name}.example`;
    const fetcher = await mf.getWorker(name);
    const fetch: FetchLike = (input, init) => fetcher.fetch(input, init as never) as unknown as Promise<Response>;
    const url = `https://anchors.${orgId}`;
    return {
      name,
      orgId,
      url,
      publisher,
      root,
      fetch,
      async publishAndPush() {
        const { pack } = await publishAnchorPack({ storage: publisher, ns: NS, orgId });
        await pushAnchorPack(fetchTransport({ baseUrl: url, fetch, retries: 0 }), pack);
        return pack.seq;
      },
      kv: async () => kvStorage((await mf.getKVNamespace('ANCHORS', name)) as unknown as KVNamespaceLike),
      cron: async () => (await fetcher.scheduled({ cron: CRON })) as { outcome: string },
    };
  };
  const a = await org('org-a');
  const b = await org('org-b');
  await a.publishAndPush();
  await b.publishAndPush();
  return { mf, a, b, dispose: () => mf.dispose() };
}
