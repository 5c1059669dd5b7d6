/**
 * Files named on the command line: pack and policy JSON in, pack JSON out.
 * Reading never touches the store; a bad file fails before any write.
 */
import { readFile, stat, open, rename, unlink } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { AnchorSyncError, validatePolicy, type CrossOrgPolicy } from '@anchorsync/core';
import { CliError } from './cli-error.ts';

/**
 * Largest JSON file read: a pack at the 100,000-anchor limit is about 30 MB,
 * so 64 MiB fits every valid pack and stops a runaway file early.
 */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

async function readText(path: string, what: string): Promise<string> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new CliError('ERR_FILE', `${what} ${path} is not a file`);
    if (info.size > MAX_FILE_BYTES) throw new AnchorSyncError('ERR_PACK_TOO_LARGE', `${what} ${path} is larger than ${MAX_FILE_BYTES} bytes`);
    return await readFile(path, 'utf8');
  } catch (e) {
    if (e instanceof CliError || e instanceof AnchorSyncError) throw e;
    const code = (e as { code?: unknown }).code;
    const reason = code === 'ENOENT' ? 'does not exist' : `cannot be read (${typeof code === 'string' ? code : 'error'})`;
    throw new CliError('ERR_FILE', `${what} ${path} ${reason}`, { cause: e });
  }
}

/**
 * Reads an untrusted pack file as a JSON value (its shape is checked by core).
 *
 * @throws `ERR_FILE` when unreadable, `ERR_PACK_SCHEMA` when not JSON.
 */
export async function readPackFile(path: string): Promise<unknown> {
  const text = await readText(path, 'pack file');
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new AnchorSyncError('ERR_PACK_SCHEMA', `pack file ${path} is not JSON`, { cause });
  }
}

/**
 * Reads and checks a cross-org policy file (`--policy`).
 *
 * @throws `ERR_FILE` when unreadable, `ERR_INVALID_ARGUMENT` when not a valid policy.
 */
export async function readPolicyFile(path: string | undefined): Promise<CrossOrgPolicy | undefined> {
  if (path === undefined) return undefined;
  const text = await readText(path, 'policy file');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new AnchorSyncError('ERR_INVALID_ARGUMENT', `policy file ${path} is not JSON`, { cause });
  }
  return validatePolicy(value);
}

/** Fails early when a file cannot be created at `path` (its folder is missing). */
export async function checkWritable(path: string): Promise<void> {
  try {
    const info = await stat(dirname(path));
    if (!info.isDirectory()) throw new Error('not a folder');
  } catch (cause) {
    throw new CliError('ERR_FILE', `cannot write ${path}: folder ${dirname(path)} does not exist`, { cause });
  }
}

/** Writes a JSON file atomically (temp file, fsync, rename), mode 0644: packs are public. */
export async function writeJsonFile(path: string, value: unknown): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    const handle = await open(temp, 'w', 0o644);
    try {
      await handle.writeFile(JSON.stringify(value, null, 2) + '\n', 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (cause) {
    await unlink(temp).catch(() => undefined);
    const code = (cause as { code?: unknown }).code;
    throw new CliError('ERR_FILE', `cannot write ${path} (${typeof code === 'string' ? code : 'error'})`, { cause });
  }
}
