/**
 * Is a structured-clone value plain JSON data, and how big is it? Messages
 * arrive already deserialised, so their size is measured by walking them:
 * iteratively (a deeply nested message cannot overflow the stack), with a
 * depth limit, and stopping as soon as the size passes the limit.
 */

/** Deepest nesting accepted. A pull reply is 6 levels deep (envelope, result, packs, pack, anchors, anchor). */
export const MAX_DEPTH = 32;

export type PlainCheck = { size: number } | { error: 'too-large' | 'not-plain' };

const NOT_PLAIN: PlainCheck = { error: 'not-plain' };

/**
 * The length of `value` as JSON text (in UTF-16 code units, string escapes
 * not counted), or why it is refused: `too-large` past `limit`, `not-plain`
 * for anything JSON cannot say (undefined, functions, non-finite numbers,
 * Dates, Maps, typed arrays, Blobs, class instances, holes) or nesting
 * deeper than {@link MAX_DEPTH}.
 *
 * A value may repeat an object, or even contain a cycle (structured clone
 * keeps both): each visit is counted again, so the walk still ends within
 * O(limit) steps, the same cost as an honest message of that size.
 *
 * @example
 * ```ts
 * plainJsonSize({ a: [1, 'x'] }, 1024) // { size: 13 }
 * ```
 */
export function plainJsonSize(value: unknown, limit: number): PlainCheck {
  const stack: [unknown, number][] = [[value, 0]];
  let size = 0;
  for (let item; (item = stack.pop()) && size <= limit; ) {
    const [v, depth] = item;
    if (typeof v === 'string') size += v.length + 2;
    // null, booleans and finite numbers are written as String() writes them.
    else if (v === null || typeof v === 'boolean' || Number.isFinite(v)) size += String(v).length;
    else if (depth >= MAX_DEPTH || !(Array.isArray(v) || isPlainObject(v))) return NOT_PLAIN;
    else {
      const names = Array.isArray(v) ? undefined : Object.keys(v);
      const length = names ? names.length : (v as unknown[]).length;
      // Brackets and commas first: a sparse array with a huge length is refused before its holes are read.
      size += 1 + Math.max(1, length);
      for (let i = 0; i < length && size <= limit; i++) {
        if (names) size += names[i]!.length + 3;
        else if (!(i in v)) return NOT_PLAIN;
        stack.push([(v as Record<string | number, unknown>)[names ? names[i]! : i], depth + 1]);
      }
    }
  }
  return size > limit ? { error: 'too-large' } : { size };
}

/** An object literal or `Object.create(null)`, from any realm; not a Date, Map, array or class instance. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (Object.prototype.toString.call(value) !== '[object Object]') return false;
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}
