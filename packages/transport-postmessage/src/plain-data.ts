/**
 * Is a structured-clone value plain JSON data, and how big is it? Messages
 * arrive already deserialised, so their size is measured by walking them:
 * iteratively (a deeply nested message cannot overflow the stack), with a
 * depth limit, and stopping as soon as the size passes the limit.
 */

/** Deepest nesting accepted. A pull reply is 6 levels deep (envelope, result, packs, pack, anchors, anchor). */
export const MAX_DEPTH = 32;

export type PlainCheck = { size: number } | { error: 'too-large' | 'not-plain' };

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
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    switch (typeof v) {
      case 'string':
        size += v.length + 2;
        break;
      case 'number':
        if (!Number.isFinite(v)) return { error: 'not-plain' };
        size += String(v).length;
        break;
      case 'boolean':
        size += v ? 4 : 5;
        break;
      case 'object': {
        if (v === null) {
          size += 4;
          break;
        }
        if (depth >= MAX_DEPTH) return { error: 'not-plain' };
        if (Array.isArray(v)) {
          // Commas first: a sparse array with a huge length is refused before its holes are read.
          size += 2 + Math.max(0, v.length - 1);
          if (size > limit) return { error: 'too-large' };
          for (let i = 0; i < v.length; i++) {
            if (!(i in v)) return { error: 'not-plain' };
            stack.push([v[i], depth + 1]);
          }
          break;
        }
        if (!isPlainObject(v)) return { error: 'not-plain' };
        const names = Object.keys(v);
        size += 2 + Math.max(0, names.length - 1);
        for (const name of names) {
          size += name.length + 3;
          if (size > limit) return { error: 'too-large' };
          stack.push([(v as Record<string, unknown>)[name], depth + 1]);
        }
        break;
      }
      default:
        return { error: 'not-plain' };
    }
    if (size > limit) return { error: 'too-large' };
  }
  return { size };
}

/** An object literal or `Object.create(null)`, from any realm; not a Date, Map, array or class instance. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Object.prototype.toString.call(value) !== '[object Object]') return false;
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}
