/**
 * @anchorsync/transport-postmessage/responder: `servePostMessage()` answers
 * protocol.ts requests from a window (an app page talking to this iframe), a
 * Worker's parent, or a MessagePort, with the ops its application passes in
 * (the protocol's own from `./ops`, and any of the application's). It drops
 * what it must not hear, bounds what it holds, and never tells a client
 * about its own failures.
 */
import { isAnchorSyncError, type AnchorSyncErrorCode } from '@anchorsync/core';
import { hasMethod, type MessageEventLike, type WindowTarget } from './endpoint.ts';
import { plainJsonSize } from './plain-data.ts';
import { DEFAULT_MAX_REPLY_BYTES, MAX_ERROR_MESSAGE_LENGTH, PROTOCOL_VERSION, type Reply } from './protocol.ts';
import { checkResponderOptions, type OpHandler, type ServePostMessageOptions } from './responder-options.ts';
import { envelopeId, isWireCode } from './wire.ts';

export type { OpHandler, RequestInfo, ServePostMessageOptions } from './responder-options.ts';
export type { MessageEventLike, MessageListener, MessageSource, PortTarget, WindowTarget } from './endpoint.ts';

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
  op: OpHandler;
  members: Record<string, unknown>;
  origin: string;
  size: number;
  /** Posts the reply for this request (the id is filled in). */
  reply(ok: boolean, body: unknown): void;
}

/** The result of a job's op; an op that throws at once fails like one that rejects. */
async function run(job: Job): Promise<unknown> {
  const result = await job.op(job.members, { origin: job.origin });
  // An op's bug must not put a function or a cycle on the wire: that is an internal error.
  if ('error' in plainJsonSize(result, DEFAULT_MAX_REPLY_BYTES)) throw new Error('an op returned something that is not plain JSON');
  return result;
}

/**
 * Starts answering requests on `listenOn` with `ops`.
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
 * import { servePostMessage } from '@anchorsync/transport-postmessage/responder'
 * import { anchorsOp, verifyOp } from '@anchorsync/transport-postmessage/ops'
 * const responder = servePostMessage({
 *   listenOn: window,
 *   allowedOrigins: ['https://app.example'],
 *   ops: { verify: verifyOp(storage), anchors: anchorsOp(storage) },
 * })
 * ```
 */
export function servePostMessage(options: ServePostMessageOptions): PostMessageResponder {
  const config = checkResponderOptions(options);
  const { listenOn, origins, onError } = config;
  const queue: Job[] = [];
  const stats: ResponderStats = { pending: 0, highWater: 0, pendingBytes: 0, highWaterBytes: 0, busy: 0, dropped: 0, answered: 0 };
  let running = 0;
  let stopped = false;

  const pump = (): void => {
    while (!stopped && running < config.concurrency && queue.length > 0) {
      const job = queue.shift()!;
      running++;
      void run(job)
        .then(
          (result) => job.reply(true, result),
          (error: unknown) => {
            // Storage failures, tampering, bugs: the client learns only that it failed.
            const code: AnchorSyncErrorCode = isAnchorSyncError(error) && isWireCode(error.code) ? error.code : 'ERR_INTERNAL';
            if (code === 'ERR_INTERNAL') onError?.(error);
            job.reply(false, { code, message: code === 'ERR_INTERNAL' ? 'internal error' : (error as Error).message.slice(0, MAX_ERROR_MESSAGE_LENGTH) });
          },
        )
        .finally(() => {
          running--;
          stats.pendingBytes -= job.size;
          stats.pending = running + queue.length;
          pump();
        });
    }
  };

  function onMessage(event: MessageEventLike): void {
    if (stopped) return;
    const { data, source } = event;
    // Window mode: checked before anything else is read, so an unlisted origin learns nothing, not even that we exist.
    const origin = origins === false ? '' : event.origin;
    const allowed = origins === false || (typeof origin === 'string' && (origins === undefined || origins.has(origin)) && hasMethod(source, 'postMessage'));
    const id = allowed ? envelopeId(data) : undefined;
    if (id === undefined) {
      stats.dropped++;
      return;
    }
    const reply = (ok: boolean, body: unknown): void => {
      if (stopped) return;
      const message = (ok ? { anchorsync: PROTOCOL_VERSION, id, ok, result: body } : { anchorsync: PROTOCOL_VERSION, id, ok, error: body }) as Reply;
      try {
        // To the window that asked, and only while it still shows that origin: never '*'.
        if (origins === false) config.port!.postMessage(message);
        else (source as WindowTarget).postMessage(message, origin!);
        stats.answered++;
      } catch (error) {
        onError?.(error);
      }
    };
    const fail = (code: AnchorSyncErrorCode, message: string) => reply(false, { code, message });
    // Bounded before the message is walked, so a flood costs O(1) per message.
    if (running + queue.length >= config.maxPending) {
      stats.busy++;
      return fail('ERR_TRANSPORT', 'responder busy: too many requests pending');
    }
    const sized = plainJsonSize(data, config.maxRequestBytes);
    if ('error' in sized) {
      return sized.error === 'too-large'
        ? fail('ERR_PACK_TOO_LARGE', `request exceeds ${config.maxRequestBytes} bytes`)
        : fail('ERR_INVALID_ARGUMENT', 'request is not plain JSON data');
    }
    if (stats.pendingBytes + sized.size > config.maxPendingBytes) {
      stats.busy++;
      return fail('ERR_TRANSPORT', 'responder busy: too many bytes pending');
    }
    // Everything but the envelope is the op's to check.
    const members = { ...(data as Record<string, unknown>) };
    const name = members.op;
    delete members.anchorsync;
    delete members.id;
    delete members.op;
    if (typeof name !== 'string') return fail('ERR_INVALID_ARGUMENT', 'request: op is missing or malformed');
    const op = config.ops.get(name);
    if (!op) return fail('ERR_METHOD_NOT_ALLOWED', 'op not served here');
    queue.push({ op, members, origin: origin!, size: sized.size, reply });
    stats.pendingBytes += sized.size;
    stats.pending = running + queue.length;
    stats.highWater = Math.max(stats.highWater, stats.pending);
    stats.highWaterBytes = Math.max(stats.highWaterBytes, stats.pendingBytes);
    pump();
  }

  listenOn.addEventListener('message', onMessage);
  listenOn.start?.();
  return {
    stop() {
      stopped = true;
      listenOn.removeEventListener('message', onMessage);
      for (const job of queue.splice(0)) stats.pendingBytes -= job.size;
      stats.pending = running;
    },
    stats: () => ({ ...stats }),
  };
}
