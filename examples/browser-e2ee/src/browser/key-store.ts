/**
 * The key that `encryptedStorage` seals the trust store with: a pair of
 * non-extractable CryptoKeys made inside WebCrypto on first use and kept in
 * an IndexedDB database of their own, on the key manager's origin.
 *
 * What this protects: the trust store's database holds only sealed values
 * under blinded names, so a copy of it alone (a backup, a sync of the
 * profile's storage, a support dump) shows neither the organisations nor
 * their keys, and any change to it fails authentication
 * (`ERR_STORAGE_TAMPERED`) instead of being trusted. The key's bytes never
 * exist in script: code running on the key manager's origin (an injected
 * script) can use the key while it runs, as the key manager does, but it
 * cannot read it out and take it away to open a copy of the store later or
 * elsewhere. What it does not protect against: such script while it runs,
 * or someone holding the whole browser profile (the browser keeps the key
 * in IndexedDB's files).
 */
import type { EncryptedStorageKey } from '@anchorsync/storage-encrypted';
import { generateEncryptedStorageKey } from '@anchorsync/storage-encrypted/keys';

const STORE = 'keys';
const NAME = 'trust-store-key';

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

const isKey = (value: unknown): value is EncryptedStorageKey =>
  (value as EncryptedStorageKey | undefined)?.values instanceof CryptoKey && (value as EncryptedStorageKey).names instanceof CryptoKey;

/**
 * The storage key, created on first use. It is made before the transaction
 * opens (an IndexedDB transaction closes at the first await on anything
 * else); the read and the write then happen in one readwrite transaction,
 * which IndexedDB runs alone on its store: two tabs starting at once still
 * end up with one key, never one key each.
 *
 * @example
 * ```ts
 * const storage = encryptedStorage(idbStorage({ dbName: 'trust' }), { key: await storageKey('trust-key') })
 * ```
 */
export async function storageKey(dbName: string): Promise<EncryptedStorageKey> {
  const fresh = await generateEncryptedStorageKey();
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
    if (!isKey(key)) {
      // A missing key is made; a damaged one is not silently replaced, as that would orphan the store.
      if (key !== undefined) throw new Error(`${dbName}: the stored trust-store key is not an EncryptedStorageKey`);
      key = fresh;
      store.add(key, NAME);
    }
    await done;
    return key;
  } finally {
    db.close();
  }
}
