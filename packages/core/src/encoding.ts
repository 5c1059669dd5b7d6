/**
 * Byte encodings used on the wire: base64url without padding (as in JWK `x`)
 * and UTF-8. Strict decoding: a value with padding, foreign characters or
 * non-zero trailing bits is refused, so every byte string has one encoding.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
let lookup: Int16Array | undefined;
const B64U = /^[A-Za-z0-9_-]*$/;

function decodeTable(): Int16Array {
  if (lookup) return lookup;
  const table = new Int16Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  lookup = table;
  return table;
}

/**
 * Encodes bytes as base64url without padding.
 *
 * @example
 * ```ts
 * bytesToB64u(new Uint8Array([251, 255])) // '-_8'
 * ```
 */
export function bytesToB64u(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!;
  }
  return out;
}

/**
 * Decodes canonical unpadded base64url, or returns `undefined` when the text
 * is not exactly that (padding, other characters, non-zero spare bits).
 *
 * @example
 * ```ts
 * b64uToBytes('-_8') // Uint8Array [251, 255]
 * b64uToBytes('-_9') // undefined: spare bits set
 * ```
 */
export function b64uToBytes(text: string): Uint8Array | undefined {
  const table = decodeTable();
  const len = text.length;
  if (len % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((len * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? table[c]! : -1;
    if (v < 0) return undefined;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  // Spare low bits must be zero, otherwise two strings would decode alike.
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}

/**
 * Whether `text` is the canonical unpadded base64url of exactly `byteLength`
 * bytes: the same answer as `b64uToBytes(text)?.length === byteLength`,
 * without decoding (validators check every key of a pack this way).
 *
 * @example
 * ```ts
 * isB64uOfLength('-_8', 2) // true
 * isB64uOfLength('-_9', 2) // false: spare bits set
 * ```
 */
export function isB64uOfLength(text: string, byteLength: number): boolean {
  const len = Math.ceil((byteLength * 4) / 3);
  if (typeof text !== 'string' || text.length !== len || !B64U.test(text)) return false;
  // Spare low bits of the last character must be zero, as in b64uToBytes.
  const spare = len * 6 - byteLength * 8;
  return len === 0 || (decodeTable()[text.charCodeAt(len - 1)]! & ((1 << spare) - 1)) === 0;
}

let encoder: { encode(input?: string): Uint8Array; encodeInto(input: string, dest: Uint8Array): { read: number; written: number } } | undefined;

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  encoder ??= new TextEncoder();
  return encoder.encode(text);
}

/** Writes the UTF-8 bytes of `text` into `dest` (as many whole characters as fit): UTF-16 units read, bytes written. */
export function encodeInto(text: string, dest: Uint8Array): { read: number; written: number } {
  encoder ??= new TextEncoder();
  return encoder.encodeInto(text, dest);
}

/** Constant-shape byte comparison (length, then every byte). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
