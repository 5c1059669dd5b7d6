/**
 * `publish`: the next signed pack of this organisation, from the local
 * signers, stored in the pack log `serve` serves; optionally written to a
 * file and pushed to a relay.
 */
import { publishAnchorPack, pushAnchorPack } from '@anchorsync/core';
import { fetchTransport } from '@anchorsync/transport-fetch/client';
import { CliError } from '../cli-error.ts';
import type { Command } from '../command.ts';
import { checkWritable, writeJsonFile } from '../files.ts';
import { markLocalOrg } from '../local-org.ts';
import { flag, httpUrl, optionalString, parseDuration, requireId } from '../values.ts';

export const publish: Command = {
  name: 'publish',
  summary: "sign and store the next pack of this organisation's anchors",
  usage: ['publish --ns NS --org ORG [--ttl 7d] [--snapshot] [--out pack.json] [--push URL] [--json]'],
  options: {
    ns: { type: 'string', arg: 'NS', description: 'namespace' },
    org: { type: 'string', arg: 'ORG', description: 'this organisation id' },
    ttl: { type: 'string', arg: 'DURATION', description: 'pack lifetime, e.g. 12h, 7d, 2w (default 7d); peers refuse it after' },
    snapshot: { type: 'boolean', description: 'publish a base pack listing every kid (new peers can start there)' },
    out: { type: 'string', arg: 'FILE', description: 'also write the signed pack to FILE' },
    push: { type: 'string', arg: 'URL', description: 'also push the pack to a relay at URL' },
  },
  maxArgs: 0,
  notes: ['Every ACTIVE signer signs. The first pack is a base; later ones carry only what changed.'],
  async run(ctx) {
    const ns = requireId(ctx.values, 'ns');
    const orgId = requireId(ctx.values, 'org');
    const ttl = optionalString(ctx.values, 'ttl');
    const ttlMs = ttl === undefined ? undefined : parseDuration(ttl, 'ttl');
    const outFile = optionalString(ctx.values, 'out');
    const pushUrl = httpUrl(ctx.values, 'push');
    // Check what can be checked before signing: a pack, once published, stays published.
    if (outFile !== undefined) await checkWritable(outFile);

    const published = await publishAnchorPack({
      storage: ctx.storage,
      ns,
      orgId,
      ...(ttlMs === undefined ? {} : { ttlMs }),
      ...(flag(ctx.values, 'snapshot') ? { snapshot: true } : {}),
    });
    await markLocalOrg(ctx.storage, ns, orgId);
    const { pack, hash, changed } = published;
    const signedBy = pack.sig.map((s) => s.kid);
    const result: Record<string, unknown> = {
      ns,
      orgId,
      seq: pack.seq,
      hash,
      base: pack.prev === undefined,
      changed,
      issuedAt: pack.issuedAt,
      expiresAt: pack.expiresAt,
      signedBy,
    };
    ctx.out.line(`published ${ns}/${orgId} #${pack.seq} (${pack.prev === undefined ? 'base' : 'delta'})`);
    ctx.out.line(`hash     ${hash}`);
    ctx.out.line(`changed  ${changed.length === 0 ? '-' : changed.join(' ')}`);
    ctx.out.line(`signed   ${signedBy.join(' ')}`);
    ctx.out.line(`expires  ${pack.expiresAt}`);

    let failure: unknown;
    if (outFile !== undefined) {
      try {
        await writeJsonFile(outFile, pack);
        result.out = outFile;
        ctx.out.line(`wrote    ${outFile}`);
      } catch (e) {
        failure = e;
      }
    }
    if (pushUrl !== undefined && failure === undefined) {
      try {
        const pushed = await pushAnchorPack(fetchTransport({ baseUrl: pushUrl }), pack);
        result.push = { url: pushUrl, ...pushed };
        ctx.out.line(`pushed   ${pushUrl} (${pushed.stored ? 'stored' : 'already there'})`);
      } catch (e) {
        failure = e;
      }
    }
    ctx.out.result(result);
    if (failure !== undefined) {
      // The pack is published locally either way; say so, then report the failure.
      if (failure instanceof Error) failure.message = `pack #${pack.seq} is published, but ${failure.message}`;
      throw failure instanceof Error ? failure : new CliError('ERR_INTERNAL', String(failure));
    }
    return 0;
  },
};
