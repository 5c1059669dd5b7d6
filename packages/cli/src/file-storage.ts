/**
 * `fileStorage(dir)`: a StorageDriver kept in one JSON file, `<dir>/store.json`.
 *
 * - Atomic: every write goes to a temp file in the same folder, is fsynced and
 *   renamed over the store, so a crash leaves the old file or the new one,
 *   never half of one.
 * - Serialised: writes in this process queue up; writes that arrive while one
 *   is on disk are committed together in the next (group commit).
 * - Fresh: before each operation the file's identity (inode, size, mtime) is
 *   checked, so a long-running `serve` sees packs another process published.
 * - Safe on corruption: a file that does not parse is `ERR_STORAGE_CORRUPT`
 *   and is never written over, so nothing is lost that a human could recover.
 * - Private: mode 0600, the folder 0700; the store holds secret keys.
 *
 * - Shared: a commit (re-read, change, rename) holds a lock file,
 *   `.store.json.lock`, so a CLI command and a `serve --accept-push` writing
 *   the same store never drop each other's keys. The lock covers one commit,
 *   not a whole command: core's per-peer lock is in-process only, so two
 *   processes syncing the same peer at the same moment may both pull it.
 */
import { open, readFile, rename, stat, unlink, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AnchorSyncError, type JsonValue, type StorageDriver } from '@anchorsync/core';

/** Marks the file as ours; anything else at that path is refused, not overwritten. */
const FORMAT = 'anchorsync-store/v1';
/** The store file name inside the folder. */
export const STORE_FILE = 'store.json';
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;
/** A commit takes milliseconds; a lock this old was left by a crashed process. */
const LOCK_STALE_MS = 10_000;
/** How long a commit waits for another process's lock before it fails. */
const LOCK_WAIT_MS = 15_000;

type Entries = Map<string, JsonValue>;
interface Snapshot {
  entries: Entries;
  /** Identity of the file these entries came from; `absent` before the first write. */
  identity: string;
}
type Mutation = (entries: Entries) => void;

let tempCounter = 0;

/**
 * Makes a StorageDriver persisted as `<dir>/store.json`. Nothing touches the
 * disk until the first operation; the folder is created on the first write.
 *
 * @example
 * ```ts
 * const storage = fileStorage('./.anchorsync')
 * await addSigner(storage, { kid: 'root' })
 * ```
 */
export function fileStorage(dir: string): StorageDriver {
  const path = join(dir, STORE_FILE);
  let cache: Snapshot | undefined;
  let queue: { mutate: Mutation; resolve: () => void; reject: (e: unknown) => void }[] = [];
  let flushing = false;

  async function identityOf(): Promise<string> {
    try {
      const s = await stat(path, { bigint: true });
      return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
    } catch (e) {
      if (errno(e) === 'ENOENT') return 'absent';
      throw storageError(`cannot stat ${path}`, e);
    }
  }

  /** The current entries, re-read when the file changed since we last read or wrote it. */
  async function load(): Promise<Snapshot> {
    const identity = await identityOf();
    if (cache && cache.identity === identity) return cache;
    if (identity === 'absent') return (cache = { entries: new Map(), identity });
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if (errno(e) === 'ENOENT') return (cache = { entries: new Map(), identity: 'absent' });
      throw storageError(`cannot read ${path}`, e);
    }
    // The identity is taken before the read: if the file changed in between we
    // read newer data under an older identity, and simply re-read next time.
    return (cache = { entries: parseStore(text, path), identity });
  }

  async function write(entries: Entries): Promise<string> {
    const sorted = [...entries.keys()].sort();
    // A null prototype keeps a key named `__proto__` an ordinary entry.
    const body = Object.create(null) as Record<string, JsonValue>;
    for (const key of sorted) body[key] = entries.get(key)!;
    const text = JSON.stringify({ format: FORMAT, entries: body }, null, 1) + '\n';
    const temp = join(dir, `.${STORE_FILE}.${process.pid}.${++tempCounter}.tmp`);
    try {
      // 'wx': never follow or reuse an existing file at the temp path.
      const handle = await open(temp, 'wx', FILE_MODE);
      try {
        await handle.writeFile(text, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, path);
    } catch (e) {
      await unlink(temp).catch(() => undefined);
      throw storageError(`cannot write ${path}`, e);
    }
    await syncDir(dir);
    return identityOf();
  }

  async function flush(): Promise<void> {
    flushing = true;
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      try {
        await mkdir(dir, { recursive: true, mode: DIR_MODE }).catch((e: unknown) => {
          throw storageError(`cannot create ${dir}`, e);
        });
        await withLock(async () => {
          // Apply to a copy of the freshest state: a failed write changes nothing.
          const base = await load();
          const next: Entries = new Map(base.entries);
          for (const item of batch) item.mutate(next);
          const identity = await write(next);
          cache = { entries: next, identity };
        });
        for (const item of batch) item.resolve();
      } catch (e) {
        for (const item of batch) item.reject(e);
      }
    }
    flushing = false;
  }

  /** Runs `commit` holding the store's lock file, so commits of several processes never interleave. */
  async function withLock(commit: () => Promise<void>): Promise<void> {
    const lock = join(dir, `.${STORE_FILE}.lock`);
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        const handle = await open(lock, 'wx', FILE_MODE);
        await handle.writeFile(`${process.pid}\n`).finally(() => handle.close());
        break;
      } catch (e) {
        if (errno(e) !== 'EEXIST') throw storageError(`cannot create ${lock}`, e);
        const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
        if (age > LOCK_STALE_MS) {
          await unlink(lock).catch(() => undefined);
          continue;
        }
        if (Date.now() > deadline) throw new AnchorSyncError('ERR_STORAGE', `store ${path} stayed locked by another process (${lock})`);
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
      }
    }
    try {
      await commit();
    } finally {
      await unlink(lock).catch(() => undefined);
    }
  }

  function enqueue(mutate: Mutation): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      queue.push({ mutate, resolve, reject });
      if (!flushing) void flush();
    });
  }

  return {
    async get(key) {
      const value = (await load()).entries.get(key);
      return value === undefined ? undefined : copy(value);
    },
    async set(key, value) {
      const stored = copy(value);
      await enqueue((entries) => entries.set(key, stored));
    },
    async delete(key) {
      // Deleting what is not there needs no write (and no fsync).
      if (!(await load()).entries.has(key) && queue.length === 0 && !flushing) return;
      await enqueue((entries) => entries.delete(key));
    },
    async list(prefix) {
      const out: string[] = [];
      for (const key of (await load()).entries.keys()) if (key.startsWith(prefix)) out.push(key);
      return out.sort();
    },
  };
}

/** Parses the store file, refusing anything that is not exactly what we write. */
function parseStore(text: string, path: string): Entries {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    throw new AnchorSyncError('ERR_STORAGE_CORRUPT', `store file ${path} is not valid JSON; it was left as it is`, { cause });
  }
  const d = doc as { format?: unknown; entries?: unknown } | null;
  if (typeof d !== 'object' || d === null || Array.isArray(d) || d.format !== FORMAT) {
    throw new AnchorSyncError('ERR_STORAGE_CORRUPT', `store file ${path} is not an ${FORMAT} file; it was left as it is`);
  }
  if (typeof d.entries !== 'object' || d.entries === null || Array.isArray(d.entries)) {
    throw new AnchorSyncError('ERR_STORAGE_CORRUPT', `store file ${path} has no entries object; it was left as it is`);
  }
  return new Map(Object.entries(d.entries as Record<string, JsonValue>));
}

/** Values are copied in and out: a caller mutating an object never changes the store. */
function copy(value: JsonValue): JsonValue {
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}

/** Makes the rename durable; not every platform can fsync a folder, which is fine. */
async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort: the rename itself is already atomic.
  }
}

function errno(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : undefined;
}

function storageError(message: string, cause: unknown): AnchorSyncError {
  // The system's reason (EACCES, ENOSPC, ...) goes in `cause`; the CLI prints it after the message.
  return new AnchorSyncError('ERR_STORAGE', message, { cause });
}
