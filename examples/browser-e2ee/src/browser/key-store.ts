/**
 * The key that `encryptedStorage` seals the trust store with: 32 random
 * bytes made on first use and kept in an IndexedDB database of their own, on
 * the key manager's origin.
 *
 * What this protects: the trust store's database holds only sealed values
 * under blinded names, so a copy of it alone (a backup, a sync of the
 * profile's storage, a support dump) shows neither the organisations nor
 * their keys, and any change to it fails authentication
 * (`ERR_STORAGE_TAMPERED`) instead of being trusted. What it does not
 * protect against: script running on the key manager's origin (it can read
 * this key, as it can read anything the origin stores), or someone holding
 * the whole browser profile. A WebCrypto non-extractable key is not an option
 * here: the wrapper needs the raw bytes (it is WebCrypto-free by design).
 */
const STORE = 'keys';
const NAME = 'trust-store-key';
const KEY_BYTES = 32;

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/**
 * The storage key, created on first use. The read and the write happen in one
 * readwrite transaction, which IndexedDB runs alone on its store: two tabs
 * starting at once still end up with one key, never one key each.
 *
 * @example
 * ```ts
 * const storage = encryptedStorage(idbStorage({ dbName: 'trust' }), { key: await storageKey('trust-key') })
 * ```
 */
export async function storageKey(dbName: string): Promise<Uint8Array> {
  const open = indexedDB.open(dbName, 1);
  open.onupgradeneeded = () => open.result.createObjectStore(STORE);
  const db = await request(open);
  try {
    const tx = db.transaction(STORE, 'readwrite');
    const store = tx.objectStore(STORE);
    const done = new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onabort = tx.onerror = () => reject(tx.error);
    });
    let key = await request(store.get(NAME));
    if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
      // A missing key is made; a damaged one is not silently replaced, as that would orphan the store.
      if (key !== undefined) throw new Error(`${dbName}: the stored trust-store key is not ${KEY_BYTES} bytes`);
      key = crypto.getRandomValues(new Uint8Array(KEY_BYTES));
      store.add(key, NAME);
    }
    await done;
    return key;
  } finally {
    db.close();
  }
}
