/**
 * An in-memory Transport: a client talks to a publisher's (or relay's)
 * storage in the same program. Everything crosses as JSON text, as over a
 * network, so neither side can share or mutate the other's objects.
 */
import { applyAnchorPack, type EngineContext } from './apply.ts';
import { servePackPage } from './pack-log.ts';
import type { StorageDriver } from './storage.ts';
import type { PullPage, PushResult, Transport } from './transport.ts';

export interface LoopbackOptions {
  /** Packs per page served. */
  pageSize?: number;
  /** Refresh hint returned with every page. */
  refreshAfterSec?: number;
  /**
   * How pushed packs are checked: the receiving side's engine context (its
   * pinned keys, policy, audit). Without it, pushes are refused.
   */
  receiver?: EngineContext;
}

/**
 * Makes a Transport that serves `server`'s pack log directly.
 *
 * @example
 * ```ts
 * const transport = loopbackTransport(publisherStorage, { pageSize: 2 })
 * await runAnchorSync({ storage: clientStorage, transport, peers: [{ ns: 'prod', orgId: 'org-a' }] })
 * ```
 */
export function loopbackTransport(server: StorageDriver, options: LoopbackOptions = {}): Transport {
  return {
    async pull(request): Promise<PullPage> {
      request.signal?.throwIfAborted();
      const page = await servePackPage(server, {
        ns: request.ns,
        orgId: request.orgId,
        since: request.since,
        ...(request.token === undefined ? {} : { token: request.token }),
        ...(request.sinceHash === undefined ? {} : { sinceHash: request.sinceHash }),
        ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
      });
      const copy = JSON.parse(JSON.stringify(page)) as PullPage;
      if (options.refreshAfterSec !== undefined) copy.refreshAfterSec = options.refreshAfterSec;
      return copy;
    },
    async push(pack, pushOptions): Promise<PushResult> {
      pushOptions?.signal?.throwIfAborted();
      if (!options.receiver) throw new Error('this loopback transport does not accept pushes');
      const outcome = await applyAnchorPack({ ...options.receiver, storage: server }, JSON.parse(JSON.stringify(pack)), { keepPack: true });
      return { stored: outcome.status === 'applied', seq: outcome.seq };
    },
  };
}
