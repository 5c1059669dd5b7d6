/**
 * `servePostMessage()`: answers protocol.ts requests from a window (an app
 * page talking to this iframe), a Worker's parent, or a MessagePort, out of
 * a storage's pack log and anchors. It drops what it must not hear, bounds
 * what it holds, and never tells a client about its own failures.
 */
import { isAnchorSyncError, type AnchorSyncError } from '@anchorsync/core';
import { canPost, type MessageEventLike, type WindowTarget } from './endpoint.ts';
import { runOp } from './ops.ts';
import { plainJsonSize } from './plain-data.ts';
import { envelopeId, isWireCode, MAX_ERROR_MESSAGE_LENGTH, PROTOCOL_VERSION, type PostRequest, type Reply } from './protocol.ts';
import { parseRequest } from './request-schema.ts';
import { checkResponderOptions, type ResponderConfig, type ServePostMessageOptions } from './responder-options.ts';

export type { ReadOp, ServePostMessageOptions } from './responder-options.ts';

export interface ResponderStats {
  /** Requests being worked on or waiting now. */
  pending: number;
  /** The most ever held at once. */
  highWater: number;
  /** Bytes of the requests held now (JSON length). */
  pendingBytes: number;
  /** The most bytes ever held at once. */
  highWaterBytes: number;
  /** Requests answered "busy". */
  busy: number;
  /** Messages dropped without an answer: unlisted origin, not ours, or unanswerable. */
  dropped: number;
  /** Requests answered (results and errors). */
  answered: number;
}

export interface PostMessageResponder {
  /** Stops listening, forgets waiting requests, and sends no further replies. */
  stop(): void;
  stats(): ResponderStats;
}

interface Job {
  id: string;
  request: PostRequest;
  origin: string;
  size: number;
  reply(message: Reply): void;
}

/**
 * Starts answering requests on `listenOn`.
 *
 * Over windows, `allowedOrigins` is the access control: a message from any
 * other origin is dropped unseen. Over a MessagePort or Worker there is no
 * origin: whoever holds the port may ask (a port is a capability), so
 * `allowedOrigins` is refused there rather than silently not applied.
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` for unusable options.
 * @example
 * ```ts
 * // In the key manager iframe at https://keys.example:
 * const responder = servePostMessage({ storage, listenOn: window, allowedOrigins: ['https://app.example'] })
 * ```
 */
export function servePostMessage(options: ServePostMessageOptions): PostMessageResponder {
  const config = checkResponderOptions(options);
  const queue: Job[] = [];
  const stats: ResponderStats = { pending: 0, highWater: 0, pendingBytes: 0, highWaterBytes: 0, busy: 0, dropped: 0, answered: 0 };
  let running = 0;
  let stopped = false;

  const send = (reply: (message: Reply) => void, message: Reply): void => {
    if (stopped) return;
    try {
      reply(message);
      stats.answered++;
    } catch (error) {
      config.onError?.(error);
    }
  };
  const fail = (reply: (message: Reply) => void, id: string, code: AnchorSyncError['code'], message: string): void =>
    send(reply, { anchorsync: PROTOCOL_VERSION, id, ok: false, error: { code, message } });

  const pump = (): void => {
    while (!stopped && running < config.concurrency && queue.length > 0) {
      const job = queue.shift()!;
      running++;
      void answer(config, job).then((message) => {
        running--;
        stats.pendingBytes -= job.size;
        stats.pending = running + queue.length;
        send(job.reply, message);
        pump();
      });
    }
  };

  function onMessage(event: MessageEventLike): void {
    if (stopped) return;
    let reply: (message: Reply) => void;
    let origin = '';
    if (config.origins !== false) {
      const source = event.source;
      // Checked before anything else is read: an unlisted origin learns nothing, not even that we exist.
      if (typeof event.origin !== 'string' || (config.origins !== undefined && !config.origins.has(event.origin)) || !canPost(source)) {
        stats.dropped++;
        return;
      }
      origin = event.origin;
      // To the window that asked, and only while it still shows that origin: never '*'.
      reply = (message) => (source as WindowTarget).postMessage(message, origin);
    } else {
      const port = config.port!;
      reply = (message) => port.postMessage(message);
    }
    const id = envelopeId(event.data);
    if (id === undefined) {
      stats.dropped++;
      return;
    }
    // Bounded before the message is walked, so a flood costs O(1) per message.
    if (running + queue.length >= config.maxPending) {
      stats.busy++;
      return fail(reply, id, 'ERR_TRANSPORT', 'responder busy: too many requests pending');
    }
    const sized = plainJsonSize(event.data, config.maxRequestBytes);
    if ('error' in sized) {
      return sized.error === 'too-large'
        ? fail(reply, id, 'ERR_PACK_TOO_LARGE', `request exceeds ${config.maxRequestBytes} bytes`)
        : fail(reply, id, 'ERR_INVALID_ARGUMENT', 'request is not plain JSON data');
    }
    if (stats.pendingBytes + sized.size > config.maxPendingBytes) {
      stats.busy++;
      return fail(reply, id, 'ERR_TRANSPORT', 'responder busy: too many bytes pending');
    }
    let request: PostRequest;
    try {
      request = parseRequest(event.data as Record<string, unknown>);
    } catch (error) {
      const message = isAnchorSyncError(error) ? error.message.slice(0, MAX_ERROR_MESSAGE_LENGTH) : 'request: malformed';
      return fail(reply, id, 'ERR_INVALID_ARGUMENT', message);
    }
    queue.push({ id, request, origin, size: sized.size, reply });
    stats.pendingBytes += sized.size;
    stats.pending = running + queue.length;
    stats.highWater = Math.max(stats.highWater, stats.pending);
    stats.highWaterBytes = Math.max(stats.highWaterBytes, stats.pendingBytes);
    pump();
  }

  config.listenOn.addEventListener('message', onMessage);
  config.listenOn.start?.();
  return {
    stop() {
      stopped = true;
      config.listenOn.removeEventListener('message', onMessage);
      for (const job of queue.splice(0)) stats.pendingBytes -= job.size;
      stats.pending = running;
    },
    stats: () => ({ ...stats }),
  };
}

/** The reply to one job; never throws. */
async function answer(config: ResponderConfig, job: Job): Promise<Reply> {
  try {
    const result = await runOp(config, job.request, { origin: job.origin });
    return { anchorsync: PROTOCOL_VERSION, id: job.id, ok: true, result };
  } catch (error) {
    if (isAnchorSyncError(error) && isWireCode(error.code) && error.code !== 'ERR_INTERNAL') {
      return { anchorsync: PROTOCOL_VERSION, id: job.id, ok: false, error: { code: error.code, message: error.message.slice(0, MAX_ERROR_MESSAGE_LENGTH) } };
    }
    // Storage failures, tampering, bugs: the client learns only that it failed.
    config.onError?.(error);
    return { anchorsync: PROTOCOL_VERSION, id: job.id, ok: false, error: { code: 'ERR_INTERNAL', message: 'internal error' } };
  }
}
