/**
 * SHA-512 and SHA-512/256 (FIPS 180-4), one-shot, in plain ECMAScript.
 *
 * Why our own: these two are the only hashes core needs (Ed25519 and the
 * pack hash), and every byte of a pack is hashed twice, so they are both
 * the largest and the slowest part of verification. This file is a quarter
 * of the size of the general-purpose hash library it replaces (which
 * carries streaming, cloning and other digests) and about 1.2x as fast.
 * The round constants and initial values are not typed in: they are
 * derived on first use exactly as FIPS 180-4 defines them (4.2.3, 5.3.5,
 * 5.3.6), so there is no table to mistype. test/perf/sha512.test.ts checks
 * every message length from 0 to 1,100 bytes, random large messages and the
 * FIPS examples against node:crypto (OpenSSL), and all Ed25519 vectors run
 * through it.
 */

// Round constants (hi, lo words), the SHA-512 and SHA-512/256 initial values
// and the message schedule. Allocated empty here (pure, so bundlers drop them
// when unused) and filled on first use. Module constants rather than
// variables: V8 then knows their lengths and drops bounds checks in the loop.
const K = /* @__PURE__ */ new Int32Array(160);
const IV512 = /* @__PURE__ */ new Int32Array(16);
const IV256 = /* @__PURE__ */ new Int32Array(16);
const W = /* @__PURE__ */ new Int32Array(160);
const V = /* @__PURE__ */ new Int32Array(16);
let ready = false;

/** floor(root-th root of n) for BigInt n, by Newton's method from above. */
function iroot(n: bigint, root: bigint): bigint {
  let x = 1n << (BigInt(n.toString(2).length) / root + 1n);
  for (;;) {
    const y = ((root - 1n) * x + n / x ** (root - 1n)) / root;
    if (y >= x) return x;
    x = y;
  }
}

/** 64 bits of the fractional part of the root-th root of each of the first `count` primes, as hi/lo words. */
function fractionBits(count: number, root: bigint): Int32Array {
  const out = new Int32Array(count * 2);
  for (let p = 2, found = 0; found < count; p++) {
    let prime = true;
    for (let d = 2; d * d <= p; d++) if (p % d === 0) prime = false;
    if (!prime) continue;
    const bits = iroot(BigInt(p) << (64n * root), root) & 0xffffffffffffffffn;
    out[found * 2] = Number(bits >> 32n) | 0;
    out[found * 2 + 1] = Number(bits & 0xffffffffn) | 0;
    found++;
  }
  return out;
}

function init(): void {
  K.set(fractionBits(80, 3n)); // 4.2.3: cube roots of the first 80 primes
  IV512.set(fractionBits(8, 2n)); // 5.3.5: square roots of the first 8 primes
  ready = true;
  // 5.3.6: the SHA-512/t IV is SHA-512, started from IV512 xor a5a5..., of the text "SHA-512/256".
  IV256.set(hashState(IV512.map((word) => word ^ 0xa5a5a5a5), new TextEncoder().encode('SHA-512/256')));
}

/** Runs the compression function over the 128-byte blocks of m[pos, end). */
function blocks(st: Int32Array, m: Uint8Array, pos: number, end: number): void {
  const k = K;
  const w = W;
  // 64-bit words are (hi, lo) int32 pairs; a sum adds the lo words as unsigned
  // doubles (exact below 2^53) and carries floor(sum / 2^32) into the hi word.
  for (; pos + 128 <= end; pos += 128) {
    for (let i = 0, j = pos; i < 32; i++, j += 4) w[i] = (m[j]! << 24) | (m[j + 1]! << 16) | (m[j + 2]! << 8) | m[j + 3]!;
    for (let i = 32; i < 160; i += 2) {
      let xh = w[i - 30]!;
      let xl = w[i - 29]!;
      // sigma0 = rotr 1 ^ rotr 8 ^ shr 7
      const s0h = ((xh >>> 1) | (xl << 31)) ^ ((xh >>> 8) | (xl << 24)) ^ (xh >>> 7);
      const s0l = ((xl >>> 1) | (xh << 31)) ^ ((xl >>> 8) | (xh << 24)) ^ ((xl >>> 7) | (xh << 25));
      xh = w[i - 4]!;
      xl = w[i - 3]!;
      // sigma1 = rotr 19 ^ rotr 61 ^ shr 6
      const s1h = ((xh >>> 19) | (xl << 13)) ^ ((xl >>> 29) | (xh << 3)) ^ (xh >>> 6);
      const s1l = ((xl >>> 19) | (xh << 13)) ^ ((xh >>> 29) | (xl << 3)) ^ ((xl >>> 6) | (xh << 26));
      const lo = (s0l >>> 0) + (s1l >>> 0) + (w[i - 13]! >>> 0) + (w[i - 31]! >>> 0);
      w[i] = (s0h + s1h + w[i - 14]! + w[i - 32]! + ((lo / 4294967296) | 0)) | 0;
      w[i + 1] = lo | 0;
    }
    // The working variables live in locals (registers, not memory) for the 80 rounds.
    let ah = st[0]!, al = st[1]!, bh = st[2]!, bl = st[3]!, ch = st[4]!, cl = st[5]!, dh = st[6]!, dl = st[7]!;
    let eh = st[8]!, el = st[9]!, fh = st[10]!, fl = st[11]!, gh = st[12]!, gl = st[13]!, hh = st[14]!, hl = st[15]!;
    for (let i = 0; i < 160; i += 2) {
      // Sigma1(e) = rotr 14 ^ rotr 18 ^ rotr 41; Ch(e, f, g)
      const S1h = ((eh >>> 14) | (el << 18)) ^ ((eh >>> 18) | (el << 14)) ^ ((el >>> 9) | (eh << 23));
      const S1l = ((el >>> 14) | (eh << 18)) ^ ((el >>> 18) | (eh << 14)) ^ ((eh >>> 9) | (el << 23));
      const chh = (eh & fh) ^ (~eh & gh);
      const chl = (el & fl) ^ (~el & gl);
      const t1lo = (hl >>> 0) + (S1l >>> 0) + (chl >>> 0) + (k[i + 1]! >>> 0) + (w[i + 1]! >>> 0);
      const t1h = (hh + S1h + chh + k[i]! + w[i]! + ((t1lo / 4294967296) | 0)) | 0;
      const t1l = t1lo | 0;
      // Sigma0(a) = rotr 28 ^ rotr 34 ^ rotr 39; Maj(a, b, c)
      const S0h = ((ah >>> 28) | (al << 4)) ^ ((al >>> 2) | (ah << 30)) ^ ((al >>> 7) | (ah << 25));
      const S0l = ((al >>> 28) | (ah << 4)) ^ ((ah >>> 2) | (al << 30)) ^ ((ah >>> 7) | (al << 25));
      const mjh = (ah & bh) ^ (ah & ch) ^ (bh & ch);
      const mjl = (al & bl) ^ (al & cl) ^ (bl & cl);
      hh = gh;
      hl = gl;
      gh = fh;
      gl = fl;
      fh = eh;
      fl = el;
      let lo = (dl >>> 0) + (t1l >>> 0);
      eh = (dh + t1h + ((lo / 4294967296) | 0)) | 0;
      el = lo | 0;
      dh = ch;
      dl = cl;
      ch = bh;
      cl = bl;
      bh = ah;
      bl = al;
      lo = (t1l >>> 0) + (S0l >>> 0) + (mjl >>> 0);
      ah = (t1h + S0h + mjh + ((lo / 4294967296) | 0)) | 0;
      al = lo | 0;
    }
    // Add the block's result into the state.
    const v = V;
    v[0] = ah;
    v[1] = al;
    v[2] = bh;
    v[3] = bl;
    v[4] = ch;
    v[5] = cl;
    v[6] = dh;
    v[7] = dl;
    v[8] = eh;
    v[9] = el;
    v[10] = fh;
    v[11] = fl;
    v[12] = gh;
    v[13] = gl;
    v[14] = hh;
    v[15] = hl;
    for (let i = 0; i < 16; i += 2) {
      const lo = (st[i + 1]! >>> 0) + (v[i + 1]! >>> 0);
      st[i] = (st[i]! + v[i]! + ((lo / 4294967296) | 0)) | 0;
      st[i + 1] = lo | 0;
    }
  }
}

/** The final state after hashing `m` from state `iv` (5.1.2 padding: 0x80, zeros, 128-bit bit length). */
function hashState(iv: Int32Array, m: Uint8Array): Int32Array {
  const st = iv.slice();
  const len = m.length;
  const full = len - (len % 128);
  blocks(st, m, 0, full);
  const rest = len - full;
  const tail = new Uint8Array(rest < 112 ? 128 : 256);
  tail.set(m.subarray(full));
  tail[rest] = 0x80;
  // Bit length, big-endian; the top 64 of its 128 bits are zero for any array JS can hold.
  const view = new DataView(tail.buffer);
  view.setUint32(tail.length - 8, Math.floor(len / 0x20000000));
  view.setUint32(tail.length - 4, (len * 8) >>> 0);
  blocks(st, tail, 0, tail.length);
  return st;
}

function digest(iv: Int32Array, m: Uint8Array, bytes: number): Uint8Array<ArrayBuffer> {
  const st = hashState(iv, m);
  const out = new Uint8Array(bytes);
  const view = new DataView(out.buffer);
  for (let i = 0; i < bytes / 4; i++) view.setInt32(i * 4, st[i]!);
  return out;
}

/**
 * SHA-512 of `message` (64 bytes).
 *
 * @example
 * ```ts
 * sha512(utf8('abc')) // ddaf35a1...a54ca49f
 * ```
 */
export function sha512(message: Uint8Array): Uint8Array<ArrayBuffer> {
  if (!ready) init();
  return digest(IV512, message, 64);
}

/**
 * SHA-512/256 of `message` (32 bytes): SHA-512 with its own initial value,
 * truncated. The pack hash.
 *
 * @example
 * ```ts
 * sha512_256(utf8('abc')) // 53048e26...8ad61d23
 * ```
 */
export function sha512_256(message: Uint8Array): Uint8Array<ArrayBuffer> {
  if (!ready) init();
  return digest(IV256, message, 32);
}
