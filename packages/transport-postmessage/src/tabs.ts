/**
 * @anchorsync/transport-postmessage/tabs: coordinating the tabs (and
 * workers) of one origin that share one store. `webLocksLock()` makes them
 * take turns syncing a peer; `broadcastAnchorChanges()` / `onAnchorChanges()`
 * tell the others to look again after a sync applied a pack.
 */
export { webLocksLock, type LockManagerLike, type WebLocksOptions } from './web-locks.ts';
export { broadcastAnchorChanges, onAnchorChanges, DEFAULT_CHANNEL_NAME, type AnchorChange, type BroadcastOptions, type BroadcastSink } from './broadcast.ts';
