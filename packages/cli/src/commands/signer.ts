/**
 * Local signers: `keygen` and `signer add|retire|revoke|list`. Secret keys
 * stay in the store; nothing here ever prints one.
 */
import { addSigner, listSigners, retireSigner, revokeSigner, type SignerRecord } from '@anchorsync/core';
import { usage } from '../cli-error.ts';
import type { Command, CommandContext, CommandGroup } from '../command.ts';
import { table } from '../output.ts';
import { id, optionalId } from '../values.ts';

const kidOption = { kid: { type: 'string', arg: 'KID', description: 'key id (default: the first 16 characters of the public key)' } } as const;

async function create(ctx: CommandContext): Promise<number> {
  const kid = optionalId(ctx.values, 'kid');
  const record = await addSigner(ctx.storage, kid === undefined ? {} : { kid });
  ctx.out.result(record);
  ctx.out.line(`created signer ${record.kid}`);
  ctx.out.line(`kid      ${record.kid}`);
  ctx.out.line(`pubB64u  ${record.pubB64u}`);
  ctx.out.line(`peers pin it with: anchorsync trust pin --ns NS --org ORG --kid ${record.kid} --pub ${record.pubB64u}`);
  return 0;
}

/** `keygen`: the usual first step, the same as `signer add`. */
export const keygen: Command = {
  name: 'keygen',
  summary: 'create a local signing key (prints kid and public key, never the secret)',
  usage: ['keygen [--kid KID] [--json]'],
  options: kidOption,
  maxArgs: 0,
  notes: ['The secret key stays in the store (mode 0600). Same as `signer add`.'],
  run: create,
};

const add: Command = { ...keygen, name: 'signer add', summary: 'create a local signing key', usage: ['signer add [--kid KID] [--json]'], notes: [] };

function move(to: 'retire' | 'revoke'): Command {
  return {
    name: `signer ${to}`,
    summary:
      to === 'retire'
        ? 'retire a signer: it signs nothing more; its earlier signatures stay valid'
        : 'revoke a signer: peers refuse every signature by it, past or future',
    usage: [`signer ${to} <kid> [--json]`],
    options: {},
    maxArgs: 1,
    notes: ['Publish afterwards so peers learn of it.'],
    async run(ctx) {
      const raw = ctx.args[0];
      if (raw === undefined) throw usage(`signer ${to} needs a <kid>`);
      const kid = id(raw, 'kid');
      const record = to === 'retire' ? await retireSigner(ctx.storage, kid) : await revokeSigner(ctx.storage, kid);
      ctx.out.result(record);
      ctx.out.line(`signer ${record.kid} is ${record.status} since ${record.updatedAt}`);
      return 0;
    },
  };
}

const list: Command = {
  name: 'signer list',
  summary: 'list local signers and their status',
  usage: ['signer list [--json]'],
  options: {},
  maxArgs: 0,
  async run(ctx) {
    const signers = await listSigners(ctx.storage);
    ctx.out.result(signers);
    if (signers.length === 0) ctx.out.line('no signers; create one with: anchorsync keygen');
    else ctx.out.line(signerTable(signers));
    return 0;
  },
};

/** Signers as a table. */
export function signerTable(signers: readonly SignerRecord[]): string {
  return table([['KID', 'STATUS', 'PUBB64U', 'UPDATED'], ...signers.map((s) => [s.kid, s.status, s.pubB64u, s.updatedAt])]);
}

export const signer: CommandGroup = {
  name: 'signer',
  summary: 'manage local signing keys: add, retire, revoke, list',
  commands: [add, move('retire'), move('revoke'), list],
};
