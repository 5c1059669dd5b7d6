/**
 * Reading an untrusted HTTP body as JSON with a byte limit enforced while the
 * stream is read, so a peer that lies about (or omits) Content-Length still
 * cannot make either side buffer more than the limit.
 */
import { AnchorSyncError } from '@anchorsync/core';

/**
 * The JSON value of `body` (strict UTF-8). `ERR_PACK_TOO_LARGE` as soon as
 * more than `limit` bytes arrived (the stream is then cancelled, not
 * drained); `ERR_PACK_SCHEMA` when the bytes are not UTF-8 JSON. A failing
 * stream's own error passes through.
 */
export async function readJson(body: ReadableStream<Uint8Array> | null, limit: number): Promise<unknown> {
  const chunks: Uint8Array[] = [];
  const reader = body?.getReader();
  try {
    for (let total = 0, chunk; reader && !(chunk = await reader.read()).done; chunks.push(chunk.value)) {
      if ((total += chunk.value.byteLength) > limit) {
        await reader.cancel().catch(discarded);
        throw new AnchorSyncError('ERR_PACK_TOO_LARGE', `body exceeds ${limit} bytes`, { details: { limit } });
      }
    }
  } finally {
    reader?.releaseLock();
  }
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(await new Blob(chunks as BlobPart[]).arrayBuffer())) as unknown;
  } catch {
    throw new AnchorSyncError('ERR_PACK_SCHEMA', 'body is not UTF-8 JSON');
  }
}

const discarded = (): undefined => undefined;

/** Discards a body we will not read, so the connection can be reused or closed. */
export function discard(body: ReadableStream<Uint8Array> | null): void {
  body?.cancel().catch(discarded);
}
