/**
 * Help text: the command list, one group's subcommands, one command's usage
 * and options. Generated from the command definitions, so it cannot drift.
 */
import type { Command, CommandGroup, OptionSpec } from './command.ts';
import { table } from './output.ts';

/** Options every command takes. */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  dir: { type: 'string', arg: 'PATH', description: 'store folder (default ./.anchorsync, or $ANCHORSYNC_DIR)' },
  json: { type: 'boolean', description: 'print a machine-readable JSON result on stdout' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
  version: { type: 'boolean', short: 'v', description: 'print the version' },
};

function optionRows(options: Record<string, OptionSpec>): string[][] {
  return Object.entries(options).map(([name, o]) => [
    `  ${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ` ${o.arg ?? 'VALUE'}` : ''}${o.multiple ? ' ...' : ''}`,
    o.description,
  ]);
}

/** `anchorsync --help`. */
export function mainHelp(commands: readonly (Command | CommandGroup)[], version: string): string {
  const rows = commands.map((c) => ['  ' + c.name, c.summary]);
  return [
    `anchorsync ${version}: federated trust-anchor sync`,
    '',
    'Usage: anchorsync <command> [options]',
    '',
    'Commands:',
    table(rows),
    '',
    'Global options:',
    table(optionRows(GLOBAL_OPTIONS)),
    '',
    'Run `anchorsync <command> --help` for the options of a command.',
    'Errors print one line `anchorsync: <CODE>: <message>` on stderr; exit 2 for usage errors, 1 for failures.',
    '',
  ].join('\n');
}

/** `anchorsync signer --help`. */
export function groupHelp(group: CommandGroup): string {
  return [
    `anchorsync ${group.name}: ${group.summary}`,
    '',
    'Usage:',
    ...group.commands.flatMap((c) => c.usage.map((u) => `  anchorsync ${u}`)),
    '',
    'Subcommands:',
    table(group.commands.map((c) => ['  ' + c.name, c.summary])),
    '',
    `Run \`anchorsync ${group.name} <subcommand> --help\` for details.`,
    '',
  ].join('\n');
}

/** `anchorsync publish --help`. */
export function commandHelp(command: Command): string {
  const lines = [`anchorsync ${command.name}: ${command.summary}`, '', 'Usage:', ...command.usage.map((u) => `  anchorsync ${u}`), ''];
  if (Object.keys(command.options).length > 0) lines.push('Options:', table(optionRows(command.options)), '');
  lines.push('Global options:', table(optionRows(GLOBAL_OPTIONS)), '');
  if (command.notes && command.notes.length > 0) lines.push(...command.notes, '');
  return lines.join('\n');
}
