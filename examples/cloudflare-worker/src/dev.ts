/**
 * `pnpm --filter @anchorsync/example-cloudflare-worker dev`: both
 * organisations' Workers in local workerd, org A on http://127.0.0.1:8787.
 * No Cloudflare account; stop with Ctrl-C. `--once` runs A's cron once,
 * prints what A now knows of B, and exits.
 */
import { getAnchors } from '@anchorsync/core';
import { NS, startFederation } from './local.ts';

const port = Number(process.env.PORT ?? 8787);
const fed = await startFederation({ port, onLog: ({ level, message }) => console.log(`[worker ${level}] ${message}`) });
const packs = `http://127.0.0.1:${port}/v1/packs/${NS}/${fed.a.orgId}?since=0`;
console.log(`org A's Worker: ${packs}`);
console.log(`org A's root key, to pin in a client: ${fed.a.root.kid} ${fed.a.root.pubB64u}`);
console.log(`trigger A's cron (syncs org B into A's KV): curl 'http://127.0.0.1:${port}/cdn-cgi/handler/scheduled'`);

if (process.argv.includes('--once')) {
  const { outcome } = await fed.a.cron();
  const anchors = await getAnchors(await fed.a.kv(), NS, fed.b.orgId);
  console.log(`cron: ${outcome}; A's KV holds ${fed.b.orgId}: ${anchors.map((x) => `${x.kid} ${x.status}`).join(', ')}`);
  await fed.dispose();
} else {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void fed.dispose().then(() => process.exit(0)));
}
