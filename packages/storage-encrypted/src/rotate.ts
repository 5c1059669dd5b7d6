/**
 * Key rotation: every value still under a previous key is re-encrypted under
 * the current one, then its old copies are deleted. Per name the steps are
 * (1) find the copy a read returns, (2) write it under the current key unless
 * that copy already is there, (3) delete the copies under previous keys. A
 * crash between any two writes changes nothing a read returns, and running
 * `rotate()` again finishes the job: each step is idempotent, and a copy
 * already under the current key (written by the app, or by step 2 before a
 * crash) is never overwritten by an older one.
 */
import { AnchorSyncError } from '@anchorsync/core';
import { locate, remove, writeCurrent, type Context } from './context.ts';
import { open, valueText } from './envelope.ts';

export interface RotateOptions {
  /** Stops between two names with `ERR_ABORTED`; what is done stays done. */
  signal?: AbortSignal;
}

export interface RotationReport {
  /** Values re-encrypted under the current key. */
  moved: number;
  /** Old copies dropped because a newer copy already existed. */
  dropped: number;
  /**
   * Values found under previous keys once the walk was over: 0 unless
   * another writer still uses a previous key. Drop a previous key only
   * after a rotation that reports 0.
   */
  remaining: number;
}

/** Moves every value under a previous key to the current key. */
export async function rotate(ctx: Context, options: RotateOptions = {}): Promise<RotationReport> {
  const report: RotationReport = { moved: 0, dropped: 0, remaining: 0 };
  const [current, ...previous] = await ctx.rings();
  for (const ring of previous) {
    for (const innerName of await ctx.inner.list(`${ring.tag}:`)) {
      if (options.signal?.aborted) throw new AnchorSyncError('ERR_ABORTED', 'rotation aborted; rotate() again to finish', { cause: options.signal.reason });
      const stored = await ctx.inner.get(innerName);
      if (stored === undefined) continue; // moved or deleted since the list
      // A copy that does not authenticate stops the rotation: it is never deleted unread.
      const name = (await open(ring, innerName, stored)).k;
      await ctx.lock(name, async () => {
        const found = await locate(ctx, name);
        if (!found) return;
        if (found.ring === current) report.dropped++;
        else {
          await writeCurrent(ctx, name, valueText(found.sealed.v));
          report.moved++;
        }
        await remove(ctx, previous, name);
      });
    }
  }
  for (const ring of previous) report.remaining += (await ctx.inner.list(`${ring.tag}:`)).length;
  return report;
}
