// The StorageDriver conformance suite through encryptedStorage: the wrapper
// must be a driver like any other, including a full engine sync, in every
// configuration a deployment can be in (plain, mid-rotation with a previous
// key, with the session rollback check).
import { memoryStorage } from '@anchorsync/storage-memory';
import { encryptedStorage } from '@anchorsync/storage-encrypted';
import { deriveEncryptedStorageKey, generateEncryptedStorageKey } from '@anchorsync/storage-encrypted/keys';
import { describeStorageConformance } from './conformance.ts';

const key = await deriveEncryptedStorageKey(new Uint8Array(32).fill(1));
const oldKey = await deriveEncryptedStorageKey(new Uint8Array(32).fill(2));

describeStorageConformance('encrypted(memory)', () => encryptedStorage(memoryStorage(), { key }));

describeStorageConformance('encrypted(memory) with a previous key configured', () => encryptedStorage(memoryStorage(), { key, previousKeys: [oldKey] }));

describeStorageConformance('encrypted(memory) with the session rollback check', () =>
  encryptedStorage(memoryStorage(), { key, sessionRollbackCheck: true }),
);

describeStorageConformance('encrypted(memory) with a generated non-extractable key', async () => encryptedStorage(memoryStorage(), { key: await generateEncryptedStorageKey() }));
