// The only platform globals this package may use, declared here so
// `tsc -p packages/storage-encrypted` fails on any other one: like core, it is
// type-checked against plain ES2022 with no DOM and no Node types.
interface AbortSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  throwIfAborted(): void;
}
declare var TextEncoder: { new (): { encode(input?: string): Uint8Array } };
declare var TextDecoder: { new (label?: string, options?: { fatal?: boolean }): { decode(input: Uint8Array): string } };
