// The platform globals this package may name, declared here so
// `tsc -p packages/transport-postmessage` fails on any other one: the source
// is type-checked with no DOM and no Node types, so every Window, port,
// channel and lock manager reaches it through a structural type in
// src/endpoint.ts and works in pages, workers and other runtimes alike.
interface AbortSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  throwIfAborted(): void;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}
declare var TextEncoder: { new (): { encode(input?: string): Uint8Array; encodeInto(input: string, dest: Uint8Array): { read: number; written: number } } };
declare function setTimeout(handler: () => void, ms: number): unknown;
declare function clearTimeout(handle: unknown): void;
declare var URL: { new (url: string): { readonly origin: string } };
