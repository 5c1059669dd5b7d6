/**
 * Spacing writes to one key: KV accepts one write per second per key and
 * answers faster ones with HTTP 429, while one sync writes a peer's state
 * several times in a row. Each write to a key waits for its slot, at least
 * `spacingMs` after the previous write to that key from this driver.
 * Slots are reserved before waiting, so concurrent writes space out too.
 */

/** Returns a function that resolves when `key` may be written. */
export function writeSpacer(spacingMs: number): (key: string) => Promise<void> {
  const slots = new Map<string, number>();
  return async (key) => {
    if (spacingMs <= 0) return;
    const now = Date.now();
    const slot = Math.max(now, (slots.get(key) ?? -Infinity) + spacingMs);
    slots.set(key, slot);
    // Forget keys whose spacing is over, so the map stays small.
    if (slots.size > 256) for (const [k, at] of slots) if (at + spacingMs <= now) slots.delete(k);
    if (slot > now) await new Promise((resolve) => setTimeout(resolve, slot - now));
  };
}
