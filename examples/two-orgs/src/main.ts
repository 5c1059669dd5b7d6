/** `pnpm demo`: runs the two-organisation federation and exits 0 when it ends as it should. */
import { runDemo } from './demo.ts';

const report = await runDemo();
const expected = ['ERR_PACK_ROLLBACK', 'ERR_PACK_SIGNATURE'];
if (report.rejections.join() !== expected.join()) {
  console.error(`demo: expected rejections ${expected.join(', ')}, got ${report.rejections.join(', ') || 'none'}`);
  process.exitCode = 1;
}
