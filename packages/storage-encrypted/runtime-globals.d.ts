// The only platform globals this package may use, declared here so
// `tsc -p packages/storage-encrypted` fails on any other one: like core, it is
// type-checked against plain ES2022 with no DOM and no Node types. WebCrypto
// itself is reached through `globalThis.crypto.subtle` with the narrow
// `Subtle` type in keyring.ts.
interface AbortSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  throwIfAborted(): void;
}
interface CryptoKey {
  readonly algorithm: { readonly name: string };
  readonly extractable: boolean;
  readonly type: string;
  readonly usages: string[];
}
declare var TextEncoder: { new (): { encode(input?: string): Uint8Array; encodeInto(input: string, dest: Uint8Array): { read: number; written: number } } };
declare var TextDecoder: { new (): { decode(input: Uint8Array): string } };
