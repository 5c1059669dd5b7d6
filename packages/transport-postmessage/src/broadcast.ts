/**
 * Telling other tabs that anchors changed: `broadcastAnchorChanges()` is an
 * audit sink that posts `{ ns, orgId, seq }` on a BroadcastChannel after
 * every applied pack, and `onAnchorChanges()` hears it, so a tab that did not
 * sync refreshes its in-memory view from the shared storage. A message only
 * says "look again": it carries no anchors, and nothing is trusted from it.
 * Where BroadcastChannel is missing both degrade to doing nothing.
 */
import { validateId, type AuditEvent, type AuditSink } from '@anchorsync/core';
import { isPlainObject } from './plain-data.ts';

/** Default channel name; BroadcastChannel is per origin, so it only reaches this origin's contexts. */
export const DEFAULT_CHANNEL_NAME = 'anchorsync:anchors';

/** What a change message says: the peer whose anchors changed and its new seq. */
export interface AnchorChange {
  ns: string;
  orgId: string;
  seq: number;
}

interface ChannelLike {
  postMessage(message: unknown): void;
  close(): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
}

type ChannelCtor = new (name: string) => ChannelLike;

function openChannel(name: string): ChannelLike | undefined {
  const Ctor = (globalThis as { BroadcastChannel?: ChannelCtor }).BroadcastChannel;
  if (typeof Ctor !== 'function') return undefined;
  try {
    return new Ctor(name);
  } catch {
    return undefined;
  }
}

export interface BroadcastOptions {
  channelName?: string;
  /** A sink that receives every event too (your own audit log). */
  next?: AuditSink;
}

/** An audit sink that also broadcasts; `close()` releases its channel. */
export type BroadcastSink = AuditSink & { close(): void };

/**
 * Makes an audit sink that broadcasts every `FED_ANCHOR_SYNC_APPLY` (after
 * the pack's writes, so listeners read the new state) and passes every event
 * on to `next`. A failed broadcast is ignored: it must not turn into an
 * audit warning on the sync that caused it.
 *
 * @example
 * ```ts
 * const audit = broadcastAnchorChanges({ next: console.log })
 * await runAnchorSync({ storage, transport, peers, audit })
 * ```
 */
export function broadcastAnchorChanges(options: BroadcastOptions = {}): BroadcastSink {
  const name = options.channelName ?? DEFAULT_CHANNEL_NAME;
  let channel: ChannelLike | undefined;
  const sink = async (event: AuditEvent): Promise<void> => {
    if (event.type === 'FED_ANCHOR_SYNC_APPLY') {
      channel ??= openChannel(name);
      try {
        channel?.postMessage({ anchorsync: 1, type: 'anchors-changed', ns: event.ns, orgId: event.orgId, seq: event.seq });
      } catch {
        // A closed channel or a context shutting down: the other tabs refresh on their next sync instead.
      }
    }
    if (options.next) await options.next(event);
  };
  return Object.assign(sink, {
    close(): void {
      channel?.close();
      channel = undefined;
    },
  });
}

/** The change in a channel message, or `undefined`: any script of the origin can post on the channel. */
export function parseAnchorChange(data: unknown): AnchorChange | undefined {
  if (!isPlainObject(data) || data.anchorsync !== 1 || data.type !== 'anchors-changed') return undefined;
  if (Object.keys(data).length !== 5 || typeof data.seq !== 'number' || !Number.isSafeInteger(data.seq) || data.seq < 1) return undefined;
  try {
    return { ns: validateId(data.ns, 'ns'), orgId: validateId(data.orgId, 'orgId'), seq: data.seq };
  } catch {
    return undefined;
  }
}

/**
 * Calls `callback` for every anchor change another context broadcasts.
 * Returns the function that stops listening (and closes the channel).
 *
 * @example
 * ```ts
 * const stop = onAnchorChanges(({ ns, orgId }) => refreshPeerRow(ns, orgId))
 * ```
 */
export function onAnchorChanges(callback: (change: AnchorChange) => void, options: { channelName?: string } = {}): () => void {
  const channel = openChannel(options.channelName ?? DEFAULT_CHANNEL_NAME);
  if (!channel) return () => undefined;
  channel.addEventListener('message', (event) => {
    const change = parseAnchorChange(event.data);
    if (change) callback(change);
  });
  return () => channel.close();
}
