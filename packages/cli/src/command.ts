/**
 * What a command is: its name, help text, options (in `node:util`
 * `parseArgs` form, plus a description) and a `run` that returns the exit
 * status. Commands get everything from their context, never from globals.
 */
import type { StorageDriver } from '@anchorsync/core';

export interface OptionSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  /** Placeholder shown in help, e.g. `NS`. */
  arg?: string;
  description: string;
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface Output {
  /** Whether `--json` was given: print one JSON document on stdout. */
  json: boolean;
  /** A line of human output on stdout. */
  line(text: string): void;
  /** The machine-readable result on stdout. */
  result(value: unknown): void;
  /** One error line on stderr, `anchorsync: <CODE>: <message>`. */
  error(code: string, message: string): void;
}

export interface CommandContext {
  values: OptionValues;
  /** Positional arguments after the command (and subcommand) name. */
  args: string[];
  /** The store folder (`--dir`, `ANCHORSYNC_DIR`, or `./.anchorsync`). */
  dir: string;
  out: Output;
  /** The file store; opened on first use. */
  storage: StorageDriver;
  /**
   * Resolves with the signal name when the user asks the process to stop
   * (SIGINT, SIGTERM). Only long-running commands call it: calling it is what
   * takes over those signals.
   */
  waitForStop: () => Promise<string>;
}

export interface Command {
  /** `publish`, or `signer add` for a subcommand. */
  name: string;
  summary: string;
  /** Usage lines without the leading `anchorsync `. */
  usage: string[];
  options: Record<string, OptionSpec>;
  /** Most positional arguments accepted. */
  maxArgs: number;
  /** Extra help text (examples, notes). */
  notes?: string[];
  run(ctx: CommandContext): Promise<number>;
}

/** A group of subcommands, e.g. `signer add|retire|revoke|list`. */
export interface CommandGroup {
  name: string;
  summary: string;
  commands: Command[];
}
