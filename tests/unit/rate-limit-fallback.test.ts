// The per-user limit while Redis is away: counted in memory instead of letting everything through.
import { describe, expect, it } from "vitest";
import { FallbackWindowCounter, MemoryWindowCounter, messageLimiter, type WindowCounter } from "../../src/core/rate-limit.ts";

class SwitchableCounter implements WindowCounter {
  down = false;
  private readonly inner = new MemoryWindowCounter();
  async hit(key: string, windowMs: number) {
    if (this.down) throw new Error("Stream isn't writeable and enableOfflineQueue options is false");
    return this.inner.hit(key, windowMs);
  }
  async peek(key: string, windowMs: number) {
    if (this.down) throw new Error("Connection is closed.");
    return this.inner.peek(key, windowMs);
  }
}

describe("FallbackWindowCounter", () => {
  it("keeps the per-user limit on while the primary counter fails, and uses the primary again when it is back", async () => {
    const primary = new SwitchableCounter();
    const errors: unknown[] = [];
    const limiter = messageLimiter(new FallbackWindowCounter(primary, new MemoryWindowCounter(), (e) => errors.push(e)), 3);
    primary.down = true;
    const decisions = [];
    for (let i = 0; i < 5; i++) decisions.push((await limiter.hit("telegram:u1")).allowed);
    expect(decisions).toEqual([true, true, true, false, false]);
    expect((await limiter.hit("telegram:u2")).allowed).toBe(true); // counted per user
    expect(errors).toHaveLength(6);
    primary.down = false;
    expect((await limiter.hit("telegram:u1")).allowed).toBe(true); // the primary's own window
    expect(errors).toHaveLength(6);
  });
});
