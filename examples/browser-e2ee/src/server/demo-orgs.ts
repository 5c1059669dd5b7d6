/**
 * The organisations the example federates with, as their own servers would
 * hold them: org A (three colleagues' device keys, one retired) and org C
 * (one). Each publishes signed packs; the inbox holds messages their people
 * signed, plus one whose text was changed after signing.
 */
import { addSigner, bytesToB64u, ed25519Sign, getSignerSecret, publishAnchorPack, retireSigner, utf8, type PublishResult, type StorageDriver } from '@anchorsync/core';
import { memoryStorage } from '@anchorsync/storage-memory';
import type { InboxMessage } from '../browser/wire.ts';

export const NS = 'chat';
export const ORG_A = 'org-a.example';
export const ORG_C = 'org-c.example';

export interface DemoOrg {
  orgId: string;
  storage: StorageDriver;
  /** The key that signs the org's packs, pinned by the key manager. */
  root: { kid: string; pubB64u: string };
}

export interface DemoWorld {
  ns: string;
  orgs: DemoOrg[];
  inbox: InboxMessage[];
  /** Publishes the org's current signers as its next pack. */
  publish(orgId: string): Promise<PublishResult>;
  storageOf(orgId: string): StorageDriver;
}

async function sign(storage: StorageDriver, kid: string, text: string): Promise<string> {
  return bytesToB64u(ed25519Sign(utf8(text), await getSignerSecret(storage, kid)));
}

/** Both organisations with their first pack published, and an inbox. */
export async function createDemoWorld(): Promise<DemoWorld> {
  const a = memoryStorage();
  const c = memoryStorage();
  const aRoot = await addSigner(a, { kid: 'a-root' });
  await addSigner(a, { kid: 'alice-laptop' });
  await addSigner(a, { kid: 'bob-phone' });
  await addSigner(a, { kid: 'carol-2025' });
  const cRoot = await addSigner(c, { kid: 'c-root' });
  await addSigner(c, { kid: 'dave-desktop' });

  const orgs: DemoOrg[] = [
    { orgId: ORG_A, storage: a, root: { kid: aRoot.kid, pubB64u: aRoot.pubB64u } },
    { orgId: ORG_C, storage: c, root: { kid: cRoot.kid, pubB64u: cRoot.pubB64u } },
  ];
  const storageOf = (orgId: string): StorageDriver => {
    const org = orgs.find((o) => o.orgId === orgId);
    if (!org) throw new Error(`no demo org ${orgId}`);
    return org.storage;
  };
  const publish = (orgId: string) => publishAnchorPack({ storage: storageOf(orgId), ns: NS, orgId });

  const message = async (id: string, from: string, orgId: string, kid: string, text: string, signed = text): Promise<InboxMessage> => ({
    id,
    from,
    ns: NS,
    orgId,
    kid,
    text,
    signature: await sign(storageOf(orgId), kid, signed),
  });
  const contract = 'The draft contract is in the shared folder. Can you review it by Friday?';
  const inbox = [
    await message('m1', 'alice@org-a.example', ORG_A, 'alice-laptop', contract),
    await message('m2', 'bob@org-a.example', ORG_A, 'bob-phone', 'New phone, same Bob: my number is now +44 20 7946 0000.'),
    await message('m3', 'carol@org-a.example', ORG_A, 'carol-2025', 'Writing from my old laptop, sorry.'),
    await message('m4', 'dave@org-c.example', ORG_C, 'dave-desktop', 'Our meeting moved to 15:00 tomorrow.'),
    // Alice's signature, but not over this text: a relay edited it.
    await message('m5', 'alice@org-a.example', ORG_A, 'alice-laptop', 'Please pay the invoice to our new account NL00 BANK 0123 4567 89.', contract),
  ];
  // Carol signed while her key was still ACTIVE; it is retired before the first pack.
  await retireSigner(a, 'carol-2025');
  for (const org of orgs) await publish(org.orgId);
  return { ns: NS, orgs, inbox, publish, storageOf };
}
