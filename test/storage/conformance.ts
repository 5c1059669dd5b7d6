/**
 * The StorageDriver conformance suite under vitest. Every driver's test file
 * calls `describeStorageConformance` with a factory for an empty store.
 */
import { describe, it } from 'vitest';
import type { StorageDriver } from '@anchorsync/core';
import { conformanceCases, type ConformanceOptions } from './conformance-cases.ts';

export type { ConformanceOptions };

export function describeStorageConformance(name: string, make: () => Promise<StorageDriver> | StorageDriver, options: ConformanceOptions = {}): void {
  describe(`StorageDriver conformance: ${name}`, () => {
    for (const c of conformanceCases) it(c.name, () => c.run(make, options));
  });
}
