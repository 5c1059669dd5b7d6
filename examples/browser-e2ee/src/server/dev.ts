/**
 * `pnpm dev`: serves the example on loopback so a person can open it, and
 * reads commands on stdin that act as org A's or org C's administrator:
 *
 *   revoke <kid> | retire <kid> | add <org> <kid> | quit
 *
 * Each change is published as the org's next pack; press "Sync now" in the
 * page to see it. Ports: APP_PORT (5173), KEY_MANAGER_PORT (5174),
 * PACKS_PORT (8787).
 */
import { createInterface } from 'node:readline';
import { addSigner, listSigners, retireSigner, revokeSigner } from '@anchorsync/core';
import { createDemoWorld } from './demo-orgs.ts';
import { startExample } from './servers.ts';

const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

const world = await createDemoWorld();
const servers = await startExample({
  ns: world.ns,
  orgs: world.orgs,
  inbox: () => world.inbox,
  ports: { app: port('APP_PORT', 5173), keyManager: port('KEY_MANAGER_PORT', 5174), packs: port('PACKS_PORT', 8787) },
  refreshAfterSec: 60,
});

console.log(`app          ${servers.appUrl}   <- open this`);
console.log(`key manager  ${servers.keyManagerUrl}`);
console.log(`pack servers ${world.orgs.map((o) => `${servers.packsOrigin}/${o.orgId}`).join('  ')}`);
console.log('commands: revoke <kid> | retire <kid> | add <org> <kid> | quit');

async function orgOfKid(kid: string): Promise<string | undefined> {
  for (const org of world.orgs) if ((await listSigners(org.storage)).some((s) => s.kid === kid)) return org.orgId;
  return undefined;
}

async function run(line: string): Promise<void> {
  const [command, ...args] = line.trim().split(/\s+/);
  if (command === 'quit') return shutdown();
  let orgId: string | undefined;
  if ((command === 'revoke' || command === 'retire') && args[0]) {
    orgId = await orgOfKid(args[0]);
    if (!orgId) return console.log(`no org has a key ${args[0]}`);
    await (command === 'revoke' ? revokeSigner : retireSigner)(world.storageOf(orgId), args[0]);
  } else if (command === 'add' && args[0] && args[1]) {
    orgId = args[0];
    await addSigner(world.storageOf(orgId), { kid: args[1] });
  } else if (command) {
    return console.log('commands: revoke <kid> | retire <kid> | add <org> <kid> | quit');
  }
  if (orgId) {
    const { pack } = await world.publish(orgId);
    console.log(`${orgId} published pack #${pack.seq}; press "Sync now" in the page`);
  }
}

async function shutdown(): Promise<void> {
  await servers.close();
  process.exit(0);
}

const input = createInterface({ input: process.stdin });
// One command at a time, in the order typed.
let queue = Promise.resolve();
input.on('line', (line) => {
  queue = queue.then(() => run(line)).catch((error: unknown) => console.log(`failed: ${String(error)}`));
});
input.on('close', () => void queue.then(shutdown));
process.on('SIGINT', () => void shutdown());
