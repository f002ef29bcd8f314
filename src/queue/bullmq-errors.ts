// BullMQ's error classes, loaded when one is first thrown rather than on import. They are thrown only inside
// job handlers, in a process whose workers have loaded BullMQ already; the modules that throw them are also
// imported by `npm run ask`, which runs no job and would spend a quarter of a second loading BullMQ.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
// The same module instance as `import … from "bullmq"` elsewhere (Node loads its CommonJS build for both),
// so `instanceof UnrecoverableError` holds.
const bullmq = () => require("bullmq") as typeof import("bullmq");

/** Fails the job for good, without retries. */
export function unrecoverable(message: string): Error {
  return new (bullmq().UnrecoverableError)(message);
}

/** Tells the worker the job was moved to the delayed set by its handler (job.moveToDelayed). */
export function delayedError(): Error {
  return new (bullmq().DelayedError)();
}
