/**
 * Errors of the command line itself (usage, files). Everything else is a
 * core `AnchorSyncError`; both carry a stable `code` printed as
 * `anchorsync: <CODE>: <message>`.
 */
import { isAnchorSyncError } from '@anchorsync/core';

/** Codes only the CLI produces. */
export type CliErrorCode =
  /** The command line is wrong: unknown command or option, missing or malformed value. */
  | 'ERR_USAGE'
  /** A file named on the command line cannot be read or written. */
  | 'ERR_FILE'
  /** What the command refers to does not exist (e.g. unpinning a key that is not pinned). */
  | 'ERR_NOT_FOUND'
  /** `serve` cannot listen on the address (in use, not allowed). */
  | 'ERR_LISTEN'
  /** Anything unexpected; printed for thrown values that carry no code. */
  | 'ERR_INTERNAL';

/**
 * An error of the command line with a stable code.
 *
 * @example
 * ```ts
 * throw new CliError('ERR_USAGE', '--ns is required')
 * ```
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: CliErrorCode;

  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** Exit status for usage errors (bad command line). */
export const EXIT_USAGE = 2;
/** Exit status for rejected or failed operations. */
export const EXIT_FAILED = 1;

/** Shorthand for a usage error. */
export function usage(message: string): CliError {
  return new CliError('ERR_USAGE', message);
}

/**
 * The one stderr line and exit status for any thrown value: no stack traces,
 * no multi-line messages.
 */
export function describeError(e: unknown): { line: string; exitCode: number } {
  if (e instanceof CliError) {
    return { line: `anchorsync: ${e.code}: ${oneLine(e.message)}`, exitCode: e.code === 'ERR_USAGE' ? EXIT_USAGE : EXIT_FAILED };
  }
  if (isAnchorSyncError(e)) {
    // A storage failure is only useful with the system's reason (EACCES, ENOSPC, ...).
    const c = e.code === 'ERR_STORAGE' && e.cause instanceof Error ? e.cause : undefined;
    const cause = c && !e.message.includes(c.message) ? ` (${c.message})` : '';
    // Invalid arguments reach core only from the command line: they are usage errors here.
    const exitCode = e.code === 'ERR_INVALID_ARGUMENT' ? EXIT_USAGE : EXIT_FAILED;
    return { line: `anchorsync: ${e.code}: ${oneLine(e.message + cause)}`, exitCode };
  }
  const message = e instanceof Error ? e.message : String(e);
  const code: CliErrorCode = 'ERR_INTERNAL';
  return { line: `anchorsync: ${code}: ${oneLine(message)}`, exitCode: EXIT_FAILED };
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
