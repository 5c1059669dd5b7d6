/**
 * Runs the conformance scenario in whatever runtime executes this file
 * (`deno run -A run.ts`, `bun run run.ts`) and prints one JSON line:
 * `{ runtime, results }`. The runner tests judge the output.
 */
import { runConformanceScenario } from './scenario.ts';

const results = await runConformanceScenario();
console.log(JSON.stringify({ runtime: navigator.userAgent, results }));
