/**
 * `trust pin|unpin|list`: keys of peer organisations pinned out of band as
 * trusted to sign their packs (DESIGN.md rule 2).
 */
import { listTrustAnchors, pinTrustAnchor, unpinTrustAnchor } from '@anchorsync/core';
import { CliError } from '../cli-error.ts';
import type { Command, CommandGroup } from '../command.ts';
import { table } from '../output.ts';
import { optionalId, requireId, requireString } from '../values.ts';

const nsOption = { type: 'string', arg: 'NS', description: 'namespace' } as const;
const orgOption = { type: 'string', arg: 'ORG', description: 'peer organisation id' } as const;
const kidOption = { type: 'string', arg: 'KID', description: 'key id' } as const;

const pin: Command = {
  name: 'trust pin',
  summary: "pin a peer's public key as trusted to sign its packs",
  usage: ['trust pin --ns NS --org ORG --kid KID --pub PUBB64U [--json]'],
  options: { ns: nsOption, org: orgOption, kid: kidOption, pub: { type: 'string', arg: 'PUBB64U', description: '32-byte Ed25519 public key, base64url' } },
  maxArgs: 0,
  notes: ['Get the key from the peer out of band, e.g. from its `anchorsync keygen --json`.'],
  async run(ctx) {
    const record = await pinTrustAnchor(ctx.storage, {
      ns: requireId(ctx.values, 'ns'),
      orgId: requireId(ctx.values, 'org'),
      kid: requireId(ctx.values, 'kid'),
      pubB64u: requireString(ctx.values, 'pub'),
    });
    ctx.out.result(record);
    ctx.out.line(`pinned ${record.ns}/${record.orgId} ${record.kid} ${record.pubB64u}`);
    return 0;
  },
};

const unpin: Command = {
  name: 'trust unpin',
  summary: 'remove a pinned key',
  usage: ['trust unpin --ns NS --org ORG --kid KID [--json]'],
  options: { ns: nsOption, org: orgOption, kid: kidOption },
  maxArgs: 0,
  async run(ctx) {
    const ns = requireId(ctx.values, 'ns');
    const orgId = requireId(ctx.values, 'org');
    const kid = requireId(ctx.values, 'kid');
    if (!(await unpinTrustAnchor(ctx.storage, ns, orgId, kid))) throw new CliError('ERR_NOT_FOUND', `no key ${kid} is pinned for ${ns}/${orgId}`);
    ctx.out.result({ ns, orgId, kid, unpinned: true });
    ctx.out.line(`unpinned ${ns}/${orgId} ${kid}`);
    return 0;
  },
};

const list: Command = {
  name: 'trust list',
  summary: 'list pinned keys, all or of one namespace or org',
  usage: ['trust list [--ns NS [--org ORG]] [--json]'],
  options: { ns: nsOption, org: orgOption },
  maxArgs: 0,
  async run(ctx) {
    const ns = optionalId(ctx.values, 'ns');
    const orgId = optionalId(ctx.values, 'org');
    if (orgId !== undefined && ns === undefined) throw new CliError('ERR_USAGE', '--org needs --ns');
    const pinned = await listTrustAnchors(ctx.storage, ns, orgId);
    ctx.out.result(pinned);
    if (pinned.length === 0) ctx.out.line('no pinned keys');
    else ctx.out.line(table([['NS', 'ORG', 'KID', 'PUBB64U', 'PINNED'], ...pinned.map((t) => [t.ns, t.orgId, t.kid, t.pubB64u, t.pinnedAt])]));
    return 0;
  },
};

export const trust: CommandGroup = {
  name: 'trust',
  summary: 'manage keys pinned for peer organisations: pin, unpin, list',
  commands: [pin, unpin, list],
};
