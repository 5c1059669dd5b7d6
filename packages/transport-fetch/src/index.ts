/**
 * @anchorsync/transport-fetch: anchor packs over HTTP. `fetchTransport()` is
 * the client (a core `Transport`); `createAnchorHandler()` is the server, a
 * `(Request) => Promise<Response>` for workerd, Deno, Bun, or Node through
 * `@anchorsync/transport-fetch/node`. Uses only fetch-standard globals.
 */
export { fetchTransport, type FetchLike, type FetchTransportOptions } from './client.ts';
export { createAnchorHandler, type AnchorHandler, type AnchorHandlerOptions } from './handler.ts';
export type { CorsOptions } from './cors.ts';
export {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_REFRESH_AFTER_SEC,
  PACKS_PATH,
  REFRESH_AFTER_HEADER,
  WIRE_STATUS,
  type WireError,
} from './protocol.ts';
