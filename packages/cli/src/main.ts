/**
 * The `anchorsync` command line: finds the command, parses its options with
 * `node:util` `parseArgs` (strict), prints help and version, runs the
 * command against the file store and turns every failure into one stderr
 * line `anchorsync: <CODE>: <message>` and an exit status (2 usage, 1 failed).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pkg from '../package.json' with { type: 'json' };
import { describeError, usage } from './cli-error.ts';
import type { Command, CommandGroup, OptionSpec } from './command.ts';
import { apply } from './commands/apply.ts';
import { inspect } from './commands/inspect.ts';
import { publish } from './commands/publish.ts';
import { serve } from './commands/serve.ts';
import { keygen, signer } from './commands/signer.ts';
import { sync } from './commands/sync.ts';
import { trust } from './commands/trust.ts';
import { verify } from './commands/verify.ts';
import { fileStorage } from './file-storage.ts';
import { commandHelp, groupHelp, mainHelp, GLOBAL_OPTIONS } from './help.ts';
import { makeOutput, type Streams } from './output.ts';

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly (Command | CommandGroup)[] = [keygen, signer, trust, publish, serve, sync, verify, inspect, apply];

/** Default store folder, relative to the working directory. */
export const DEFAULT_DIR = './.anchorsync';

export interface MainOptions extends Partial<Streams> {
  env?: Record<string, string | undefined>;
  /** Resolves when the process is asked to stop; `serve` waits on it. Default: SIGINT or SIGTERM. */
  waitForStop?: () => Promise<string>;
}

function isGroup(c: Command | CommandGroup): c is CommandGroup {
  return 'commands' in c;
}

/** The first positional words before `--`, skipping the value of the global `--dir`. */
function words(argv: readonly string[], max: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length && out.length < max; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a === '--dir') i++;
    else if (!a.startsWith('-') || a === '-') out.push(a);
  }
  return out;
}

function helpAsked(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/** Finds the command (and for groups the subcommand) named by `first` and `second`. */
function find(first: string | undefined, second: string | undefined): { top?: Command | CommandGroup; command?: Command } {
  const top = COMMANDS.find((c) => c.name === first);
  if (!top) return {};
  if (!isGroup(top)) return { top, command: top };
  const command = top.commands.find((c) => c.name === `${top.name} ${second}`);
  return command ? { top, command } : { top };
}

/**
 * Runs the command line `argv` (without `node` and the script) and returns
 * the exit status. Never throws.
 *
 * @example
 * ```ts
 * process.exitCode = await main(process.argv.slice(2))
 * ```
 */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<number> {
  const streams: Streams = {
    stdout: options.stdout ?? ((t) => void process.stdout.write(t)),
    stderr: options.stderr ?? ((t) => void process.stderr.write(t)),
  };
  const env = options.env ?? process.env;
  try {
    const [first, second, third] = words(argv, 3);
    if (first === 'help') return printHelp(streams, second, third);
    if (helpAsked(argv)) return printHelp(streams, first, second);
    if (argv.includes('--version') || argv.includes('-v')) {
      streams.stdout(`${pkg.version}\n`);
      return 0;
    }
    if (first === undefined) throw usage('no command given; run `anchorsync --help` for the list');
    const { top, command } = find(first, second);
    if (!top) throw usage(`unknown command "${first}"; run \`anchorsync --help\` for the list`);
    if (!command) {
      const subs = (top as CommandGroup).commands.map((c) => c.name.split(' ')[1]).join(', ');
      throw usage(second === undefined ? `${top.name} needs a subcommand: ${subs}` : `unknown subcommand "${top.name} ${second}"; one of: ${subs}`);
    }
    return await runCommand(command, argv, streams, env, options.waitForStop ?? processSignals);
  } catch (e) {
    const { line, exitCode } = describeError(e);
    streams.stderr(line + '\n');
    return exitCode;
  }
}

async function runCommand(
  command: Command,
  argv: readonly string[],
  streams: Streams,
  env: Record<string, string | undefined>,
  waitForStop: () => Promise<string>,
): Promise<number> {
  const specs: Record<string, OptionSpec> = { ...GLOBAL_OPTIONS, ...command.options };
  const config: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const [name, spec] of Object.entries(specs)) {
    config[name] = { type: spec.type, ...(spec.multiple ? { multiple: true } : {}), ...(spec.short ? { short: spec.short } : {}) };
  }
  let parsed: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: config, allowPositionals: true, strict: true });
  } catch (e) {
    throw usage(`${e instanceof Error ? e.message : String(e)} (see \`anchorsync ${command.name} --help\`)`);
  }
  // The first one or two positionals are the command's own name.
  const nameWords = command.name.split(' ').length;
  const args = parsed.positionals.slice(nameWords);
  if (args.length > command.maxArgs) throw usage(`${command.name} takes ${command.maxArgs === 0 ? 'no' : `at most ${command.maxArgs}`} argument(s); got "${args.join(' ')}"`);

  const dirValue = parsed.values.dir;
  if (dirValue === '') throw usage('--dir must not be empty');
  const dir = resolve(typeof dirValue === 'string' ? dirValue : env.ANCHORSYNC_DIR || DEFAULT_DIR);
  return command.run({
    values: parsed.values as Record<string, string | boolean | string[] | undefined>,
    args,
    dir,
    out: makeOutput(streams, parsed.values.json === true),
    // Opening costs nothing: the file is read on the first operation.
    storage: fileStorage(dir),
    waitForStop,
  });
}

/** The first SIGINT or SIGTERM; a second one falls through to the default and ends the process. */
function processSignals(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

function printHelp(streams: Streams, first: string | undefined, second: string | undefined): number {
  if (first === undefined) {
    streams.stdout(mainHelp(COMMANDS, pkg.version));
    return 0;
  }
  const { top, command } = find(first, second);
  if (!top) throw usage(`unknown command "${first}"; run \`anchorsync --help\` for the list`);
  streams.stdout(command ? commandHelp(command) : groupHelp(top as CommandGroup));
  return 0;
}
