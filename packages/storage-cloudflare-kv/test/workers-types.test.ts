/**
 * The binding a Worker gets is accepted as it is: `KVNamespace` from
 * @cloudflare/workers-types (both its dated and experimental entries) fits
 * `KVNamespaceLike`, so the package needs no Cloudflare types at runtime or
 * in its public types. These are type checks: `tsc` (first step of
 * `pnpm test`) fails the build when one breaks.
 */
import type { KVNamespace, R2Bucket } from '@cloudflare/workers-types/index.ts';
import type { KVNamespace as ExperimentalKVNamespace } from '@cloudflare/workers-types/experimental/index.ts';
import { expectTypeOf, it } from 'vitest';
import { kvStorage, type KVNamespaceLike } from '../src/index.ts';

it('a KVNamespace binding from @cloudflare/workers-types is a KVNamespaceLike; an R2 bucket is not', () => {
  expectTypeOf<KVNamespace>().toExtend<KVNamespaceLike>();
  expectTypeOf<ExperimentalKVNamespace>().toExtend<KVNamespaceLike>();
  expectTypeOf<R2Bucket>().not.toExtend<KVNamespaceLike>();
  const typed = (env: { ANCHORS: KVNamespace; FILES: R2Bucket }) => {
    kvStorage(env.ANCHORS);
    // @ts-expect-error an R2 bucket is not a KV namespace
    kvStorage(env.FILES);
  };
  expectTypeOf(typed).toBeFunction();
});
