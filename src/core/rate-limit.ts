// Per-user message rate limit: a fixed one-minute window counted in Redis (shared by every process),
// or in memory for the single-process CLI.
import type { Redis } from "ioredis";

export interface RateDecision {
  allowed: boolean;
  /** Seconds until the window resets (when not allowed). */
  retryAfterSec: number;
}

export interface RateLimiter {
  hit(key: string): Promise<RateDecision>;
}

const WINDOW_MS = 60_000;

export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  async hit(key: string): Promise<RateDecision> {
    const t = this.now();
    let w = this.windows.get(key);
    if (!w || t - w.start >= WINDOW_MS) {
      w = { start: t, count: 0 };
      this.windows.set(key, w);
      if (this.windows.size > 50_000) this.sweep(t);
    }
    w.count++;
    return w.count <= this.perMinute
      ? { allowed: true, retryAfterSec: 0 }
      : { allowed: false, retryAfterSec: Math.ceil((w.start + WINDOW_MS - t) / 1000) };
  }

  private sweep(t: number): void {
    for (const [k, w] of this.windows) if (t - w.start >= WINDOW_MS) this.windows.delete(k);
  }
}

export class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly perMinute: number,
    private readonly prefix = "rl:msg:",
  ) {}

  async hit(key: string): Promise<RateDecision> {
    const redisKey = this.prefix + key;
    const [[, count], [, ttl]] = (await this.redis
      .multi()
      .incr(redisKey)
      .pttl(redisKey)
      .exec()) as [[null, number], [null, number]];
    if (ttl < 0) await this.redis.pexpire(redisKey, WINDOW_MS);
    return count <= this.perMinute
      ? { allowed: true, retryAfterSec: 0 }
      : { allowed: false, retryAfterSec: Math.max(1, Math.ceil((ttl < 0 ? WINDOW_MS : ttl) / 1000)) };
  }
}
