/**
 * Reading an untrusted HTTP body with a byte limit enforced while the stream
 * is read, so a peer that lies about (or omits) Content-Length still cannot
 * make either side buffer more than the limit.
 */
import { AnchorSyncError } from '@anchorsync/core';

/**
 * All bytes of `body`, or `ERR_PACK_TOO_LARGE` as soon as more than `limit`
 * bytes arrived (the stream is then cancelled, not drained).
 */
export async function readLimited(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel().catch(() => undefined);
        throw new AnchorSyncError('ERR_PACK_TOO_LARGE', `body exceeds ${limit} bytes`, { details: { limit } });
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** The JSON value in `bytes` (strict UTF-8), or `undefined` when it is not JSON. */
export function parseJsonBytes(bytes: Uint8Array): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown };
  } catch {
    return undefined;
  }
}

/** Discards a body we will not read, so the connection can be reused or closed. */
export function discard(body: ReadableStream<Uint8Array> | null): void {
  body?.cancel().catch(() => undefined);
}
