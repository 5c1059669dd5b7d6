import { memoryStorage } from '@anchorsync/storage-memory';
import { describeStorageConformance } from './conformance.ts';

describeStorageConformance('memory', () => memoryStorage());
