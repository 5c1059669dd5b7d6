/**
 * workerd: the conformance scenario as a module Worker. It runs inside the
 * request (workerd forbids I/O and timers at global scope) and answers
 * `{ runtime, results }`.
 */
import { runConformanceScenario } from './scenario.ts';

export default {
  async fetch(): Promise<Response> {
    return Response.json({ runtime: navigator.userAgent, results: await runConformanceScenario() });
  },
};
