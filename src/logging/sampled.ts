// Sampled warnings: a dependency that is down makes every worker, queue and connection complain on each
// retry (thousands of lines a minute). Per key, at most `max` lines per window are written; the rest are
// counted and reported in one line when the key next logs after its window ended.
import type { Logger } from "./logger.ts";

interface KeyState {
  windowStart: number;
  written: number;
  suppressed: number;
}

export class SampledLog {
  private readonly keys = new Map<string, KeyState>();

  constructor(
    private readonly log: Logger,
    private readonly max = 5,
    private readonly windowMs = 60_000,
  ) {}

  warn(key: string, fields: Record<string, unknown>, message: string, now = Date.now()): void {
    let state = this.keys.get(key);
    if (!state || now - state.windowStart >= this.windowMs) {
      if (state?.suppressed) this.log.warn({ ...fields, suppressed: state.suppressed, windowMs: this.windowMs }, `${message} (and more like it, not written)`);
      state = { windowStart: now, written: 0, suppressed: 0 };
      this.keys.set(key, state);
    }
    if (state.written < this.max) {
      state.written++;
      this.log.warn(fields, message);
    } else {
      state.suppressed++;
    }
  }

  /** Lines not written in the current windows (tests). */
  get suppressed(): number {
    let total = 0;
    for (const state of this.keys.values()) total += state.suppressed;
    return total;
  }
}
