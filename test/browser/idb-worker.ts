// Dedicated Web Worker entry: no window, no document, only IndexedDB.
import { runAllCases } from './run-cases.ts';

postMessage(await runAllCases('worker'));
