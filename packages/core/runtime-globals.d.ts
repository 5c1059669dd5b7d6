// The only platform globals core may use (STYLE.md "Runtime isolation"),
// declared here so `tsc -p packages/core` fails on any other one: core is
// type-checked against plain ES2022 with no DOM and no Node types.
interface AbortSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  throwIfAborted(): void;
}
declare var TextEncoder: { new (): { encode(input?: string): Uint8Array; encodeInto(input: string, dest: Uint8Array): { read: number; written: number } } };
