/**
 * @anchorsync/transport-postmessage: anchor packs and anchor lookups over
 * postMessage between windows, iframes, workers and MessagePorts.
 * `postMessageTransport()` is the client (a core `Transport` plus
 * `verifyMessage` and UI reads); `servePostMessage()` is the responder.
 * `webLocksLock()` and `broadcastAnchorChanges()` / `onAnchorChanges()`
 * coordinate tabs sharing one store. The protocol is fixed in protocol.ts.
 */
export { postMessageTransport, type CallOptions, type PostMessageTransport, type PostMessageTransportOptions } from './client.ts';
export { servePostMessage, type PostMessageResponder, type ReadOp, type ResponderStats, type ServePostMessageOptions } from './responder.ts';
export type { ExtensionHandler, RequestInfo } from './ops.ts';
export type { PeerSummary } from './reply-schema.ts';
export type { MessageEventLike, MessageListener, MessageSource, PortTarget, WindowTarget } from './endpoint.ts';
export { webLocksLock, type LockManagerLike, type WebLocksOptions } from './web-locks.ts';
export {
  broadcastAnchorChanges,
  onAnchorChanges,
  DEFAULT_CHANNEL_NAME,
  type AnchorChange,
  type BroadcastOptions,
  type BroadcastSink,
} from './broadcast.ts';
export {
  DEFAULT_CONCURRENCY,
  DEFAULT_MAX_IN_FLIGHT,
  DEFAULT_MAX_PENDING,
  DEFAULT_MAX_PENDING_BYTES,
  DEFAULT_MAX_REPLY_BYTES,
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_TIMEOUT_MS,
  PROTOCOL_VERSION,
  WIRE_CODES,
  type BuiltinOp,
  type ExtensionOp,
  type WireError,
} from './protocol.ts';
