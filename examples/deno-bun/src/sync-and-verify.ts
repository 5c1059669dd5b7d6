/**
 * One script, run unchanged by Deno and by Bun (and Node through tsx): sync
 * a peer organisation's anchors over HTTP into memory, verified against the
 * keys you pinned, then check message signatures by that peer's keys.
 *
 *   deno run -A sync-and-verify.ts --base-url URL --ns NS --org ORG --pin KID:PUB [--message TEXT --sig KID:SIG ...]
 *   bun run sync-and-verify.ts     (same arguments)
 *
 * Each option may instead come from the environment: BASE_URL, NS, ORG,
 * PIN and SIG (comma-separated lists), MESSAGE. Exit 0: synced and every
 * signature valid; 1: the sync or a signature was refused; 2: bad usage.
 * Only `fetch`, `process.argv`, `process.env` and `process.exitCode` are
 * used from the runtime, and all three runtimes provide them.
 */
import { isAnchorSyncError, getAnchors, pinTrustAnchor, runAnchorSync, verifyPeerMessage } from '@anchorsync/core';
import { memoryStorage } from '@anchorsync/storage-memory';
import { fetchTransport } from '@anchorsync/transport-fetch/client';

const OPTIONS = { 'base-url': 'BASE_URL', ns: 'NS', org: 'ORG', pin: 'PIN', message: 'MESSAGE', sig: 'SIG' } as const;
type Option = keyof typeof OPTIONS;

/** Options from the environment, replaced by those given as flags; --pin and --sig may repeat. */
function options(): Partial<Record<Option, string[]>> {
  const fromEnv: Partial<Record<Option, string[]>> = {};
  for (const [flag, name] of Object.entries(OPTIONS) as [Option, string][]) {
    const value = process.env[name];
    if (value) fromEnv[flag] = flag === 'pin' || flag === 'sig' ? value.split(',') : [value];
  }
  const fromArgs: Partial<Record<Option, string[]>> = {};
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i += 2) {
    const flag = args[i]!.slice(2) as Option;
    if (!args[i]!.startsWith('--') || !(flag in OPTIONS) || args[i + 1] === undefined) throw new Error(`unexpected argument ${args[i]}`);
    (fromArgs[flag] ??= []).push(args[i + 1]!);
  }
  return { ...fromEnv, ...fromArgs };
}

/** `kid:value` -> [kid, value]; base64url has no ':', so the last ':' splits. */
function pair(text: string, what: string): [string, string] {
  const at = text.lastIndexOf(':');
  if (at <= 0) throw new Error(`${what} must be KID:VALUE, got ${text}`);
  return [text.slice(0, at), text.slice(at + 1)];
}

async function main(): Promise<number> {
  let o: Partial<Record<Option, string[]>>;
  let pins: [string, string][];
  let sigs: [string, string][];
  try {
    o = options();
    for (const required of ['base-url', 'ns', 'org', 'pin'] as const) if (!o[required]) throw new Error(`--${required} is required`);
    pins = o.pin!.map((text) => pair(text, '--pin'));
    sigs = (o.sig ?? []).map((text) => pair(text, '--sig'));
  } catch (error) {
    console.error(`sync-and-verify: ${(error as Error).message}`);
    return 2;
  }
  const [baseUrl, ns, orgId] = [o['base-url']![0]!, o.ns![0]!, o.org![0]!];
  const storage = memoryStorage();
  for (const [kid, pubB64u] of pins) await pinTrustAnchor(storage, { ns, orgId, kid, pubB64u });

  const [result] = await runAnchorSync({ storage, transport: fetchTransport({ baseUrl }), peers: [{ ns, orgId }] });
  if (result?.ok) {
    console.log(`sync ${orgId}: ok, seq ${result.fromSeq} -> ${result.toSeq}, ${result.added} added, ${result.retired} retired, ${result.revoked} revoked`);
  } else {
    console.log(`sync ${orgId}: refused, ${result?.rejected?.code}: ${result?.rejected?.message}`);
  }
  for (const a of await getAnchors(storage, ns, orgId)) console.log(`  ${a.kid.padEnd(20)} ${a.status}`);

  let allValid = result?.ok === true;
  for (const [kid, signature] of sigs) {
    const verdict = await verifyPeerMessage(storage, { ns, orgId, kid, message: o.message?.[0] ?? '', signature });
    console.log(`verify ${kid}: ${verdict.ok ? 'VALID' : `REFUSED (${verdict.reason})`}`);
    allValid &&= verdict.ok;
  }
  return allValid ? 0 : 1;
}

try {
  process.exitCode = await main();
} catch (error) {
  // Typed errors carry a stable code; print it, never a stack.
  console.error(`sync-and-verify: ${isAnchorSyncError(error) ? `${error.code}: ${error.message}` : String(error)}`);
  process.exitCode = isAnchorSyncError(error, 'ERR_INVALID_ARGUMENT') ? 2 : 1;
}
