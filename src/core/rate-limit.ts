// Fixed-window counters: per-user message rate, invite-code guesses… Counted in Redis (shared by every
// process) or in memory for the single-process CLI.
import type { Redis } from "ioredis";

export interface RateDecision {
  allowed: boolean;
  /** Seconds until the window resets (when not allowed). */
  retryAfterSec: number;
}

/** Counts hits per key in fixed windows. */
export interface WindowCounter {
  /** Adds one hit and returns the count in the current window and the ms left in it. */
  hit(key: string, windowMs: number): Promise<{ count: number; resetInMs: number }>;
  /** Reads without counting. */
  peek(key: string, windowMs: number): Promise<{ count: number; resetInMs: number }>;
}

export class MemoryWindowCounter implements WindowCounter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  constructor(private readonly now: () => number = Date.now) {}

  async hit(key: string, windowMs: number) {
    const t = this.now();
    let w = this.windows.get(key);
    if (!w || t - w.start >= windowMs) {
      w = { start: t, count: 0 };
      this.windows.set(key, w);
      if (this.windows.size > 50_000) this.sweep(t, windowMs);
    }
    w.count++;
    return { count: w.count, resetInMs: w.start + windowMs - t };
  }

  async peek(key: string, windowMs: number) {
    const t = this.now();
    const w = this.windows.get(key);
    if (!w || t - w.start >= windowMs) return { count: 0, resetInMs: 0 };
    return { count: w.count, resetInMs: w.start + windowMs - t };
  }

  private sweep(t: number, windowMs: number): void {
    for (const [k, w] of this.windows) if (t - w.start >= windowMs) this.windows.delete(k);
  }
}

export class RedisWindowCounter implements WindowCounter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = "troly06:cnt:",
  ) {}

  async hit(key: string, windowMs: number) {
    const redisKey = this.prefix + key;
    const [[, count], [, ttl]] = (await this.redis.multi().incr(redisKey).pttl(redisKey).exec()) as [[null, number], [null, number]];
    if (ttl < 0) await this.redis.pexpire(redisKey, windowMs);
    return { count, resetInMs: ttl < 0 ? windowMs : ttl };
  }

  async peek(key: string, _windowMs: number) {
    const redisKey = this.prefix + key;
    const [[, raw], [, ttl]] = (await this.redis.multi().get(redisKey).pttl(redisKey).exec()) as [[null, string | null], [null, number]];
    return { count: raw ? Number(raw) : 0, resetInMs: Math.max(0, ttl) };
  }
}

/**
 * Redis first, this process's memory while Redis is away: the per-user limit stays on (counted per process
 * until Redis is back) instead of failing open. `onFallback` hears each error, for sampled logging.
 */
export class FallbackWindowCounter implements WindowCounter {
  constructor(
    private readonly primary: WindowCounter,
    private readonly fallback: WindowCounter = new MemoryWindowCounter(),
    private readonly onFallback: (error: unknown) => void = () => undefined,
  ) {}

  async hit(key: string, windowMs: number) {
    try {
      return await this.primary.hit(key, windowMs);
    } catch (error) {
      this.onFallback(error);
      return this.fallback.hit(key, windowMs);
    }
  }

  async peek(key: string, windowMs: number) {
    try {
      return await this.primary.peek(key, windowMs);
    } catch (error) {
      this.onFallback(error);
      return this.fallback.peek(key, windowMs);
    }
  }
}

/** A limit of `limit` hits per `windowMs` on top of a counter. */
export class Limiter {
  constructor(
    private readonly counter: WindowCounter,
    readonly limit: number,
    readonly windowMs: number,
    private readonly prefix: string,
  ) {}

  async hit(key: string): Promise<RateDecision> {
    const { count, resetInMs } = await this.counter.hit(this.prefix + key, this.windowMs);
    return count <= this.limit
      ? { allowed: true, retryAfterSec: 0 }
      : { allowed: false, retryAfterSec: Math.max(1, Math.ceil(resetInMs / 1000)) };
  }

  /** Would the next hit be allowed? (For counting failures only: check first, hit on failure.) */
  async check(key: string): Promise<RateDecision> {
    const { count, resetInMs } = await this.counter.peek(this.prefix + key, this.windowMs);
    return count < this.limit
      ? { allowed: true, retryAfterSec: 0 }
      : { allowed: false, retryAfterSec: Math.max(1, Math.ceil(resetInMs / 1000)) };
  }
}

export type RateLimiter = Pick<Limiter, "hit">;

/** Per-user message limit: `perMinute` messages a minute. */
export function messageLimiter(counter: WindowCounter, perMinute: number): Limiter {
  return new Limiter(counter, perMinute, 60_000, "msg:");
}

/** An in-memory per-minute message limiter (single-process use and tests). */
export class MemoryRateLimiter extends Limiter {
  constructor(perMinute: number, now: () => number = Date.now) {
    super(new MemoryWindowCounter(now), perMinute, 60_000, "msg:");
  }
}
