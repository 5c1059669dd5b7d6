/**
 * The page the Chromium conformance test loads: it runs the shared core
 * scenario (test/conformance/scenario.ts) in the page and leaves the
 * results, with the browser's user agent, on `globalThis.anchorsyncConformance`.
 */
import { runConformanceScenario, type ConformanceResult } from '../conformance/scenario.ts';

declare global {
  var anchorsyncConformance: Promise<{ runtime: string; results: ConformanceResult[] }>;
}

globalThis.anchorsyncConformance = runConformanceScenario().then((results) => ({ runtime: navigator.userAgent, results }));
