// The delivery ledger of incoming platform updates: at least once in, at most once out.
//
// - `begin(key)` takes a short "in progress" lease on an update. A re-delivery while the lease is alive is
//   "busy" (the webhook answers 503 so the platform tries again later; polling waits the lease out); once
//   the lease has expired (the process that held it crashed), the re-delivery takes a new lease and the
//   turn runs again.
// - `finish(key)` marks the update done, only after its replies were sent: a later re-delivery is a
//   "duplicate" and is acknowledged without a second answer. `abandon(key)` drops the lease after a
//   transient failure, so that the platform's next delivery is answered.
// - `claimReply(key, n)` is taken before reply message n of the turn is sent (SET NX): a turn that runs
//   again after a crash skips the messages that already went out (or may have: a claim without a
//   confirmed send is not sent again). A failed send releases its claim.
// - `hold(key)` renews the lease while this process works on the update (every third of the lease): a turn
//   that waits long for its place in a burst is not taken for a crashed one and run a second time; once the
//   process dies the renewals stop and the lease runs out.
// - Redis holds the marks; when a Redis call fails, the same operation runs on the database
//   (`channel_update`), so de-duplication never fails open.
import { setTimeout as sleep } from "node:timers/promises";
import type { Redis } from "ioredis";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Logger } from "../logging/logger.ts";

export type BeginResult = "new" | "busy" | "done";

export interface LedgerOptions {
  redis: Pick<Redis, "set" | "get" | "del" | "pttl" | "eval">;
  prisma: Pick<PrismaClient, "channelUpdate">;
  log: Logger;
  /** Prefix of the Redis keys (and of the database keys). */
  prefix: string;
  /** How long a turn may run before a re-delivery of its update is answered again. */
  leaseMs?: number;
  /** How long "done" and reply marks are kept (platforms give up re-delivering long before). */
  doneTtlSec?: number;
}

const DEFAULT_LEASE_MS = 60_000;
const DEFAULT_DONE_TTL_SEC = 86_400;
/** Extends each key's time to live only while it is still a lease (never a "done" mark). */
const RENEW_LEASES = `local n = 0
for _, key in ipairs(KEYS) do
  if redis.call("get", key) == "lease" then n = n + redis.call("pexpire", key, ARGV[1]) end
end
return n`;

export class UpdateLedger {
  readonly leaseMs: number;
  private readonly doneTtlSec: number;
  private warnedAt = 0;
  /** Updates this process works on (key → how many holds), renewed together. */
  private readonly held = new Map<string, number>();
  private renewTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: LedgerOptions) {
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.doneTtlSec = options.doneTtlSec ?? DEFAULT_DONE_TTL_SEC;
  }

  private key(id: string): string {
    return `${this.options.prefix}${id}`;
  }

  private replyKey(id: string, n: number): string {
    return `${this.key(id)}:r${n}`;
  }

  /** Runs `redis`, or `db` when Redis fails (one warning per minute at most). */
  private async either<T>(redis: () => Promise<T>, db: () => Promise<T>): Promise<T> {
    try {
      return await redis();
    } catch (error) {
      if (Date.now() - this.warnedAt > 60_000) {
        this.warnedAt = Date.now();
        this.options.log.warn({ err: error instanceof Error ? error.message : String(error) }, "update ledger: Redis unavailable, using the database");
      }
      return db();
    }
  }

  /** Takes the lease of an update: "new" (yours to answer), "busy" (another turn holds it), "done". */
  begin(id: string): Promise<BeginResult> {
    const key = this.key(id);
    return this.either(
      async () => {
        const set = await this.options.redis.set(key, "lease", "PX", this.leaseMs, "NX");
        if (set === "OK") return "new";
        const value = await this.options.redis.get(key);
        if (value === "done") return "done";
        return value === null ? this.beginAgain(id) : "busy";
      },
      () => this.beginInDb(key),
    );
  }

  /** The key vanished between SET NX and GET (lease just expired): one more try. */
  private async beginAgain(id: string): Promise<BeginResult> {
    const set = await this.options.redis.set(this.key(id), "lease", "PX", this.leaseMs, "NX");
    return set === "OK" ? "new" : "busy";
  }

  private async beginInDb(key: string): Promise<BeginResult> {
    const db = this.options.prisma.channelUpdate;
    const now = new Date();
    const leaseUntil = new Date(now.getTime() + this.leaseMs);
    try {
      await db.create({ data: { key, state: "lease", leaseUntil } });
      return "new";
    } catch (error) {
      if ((error as { code?: string }).code !== "P2002") throw error;
    }
    // Exists: take it over only if it is an expired lease (one statement, so two takers cannot both win).
    const taken = await db.updateMany({ where: { key, state: "lease", leaseUntil: { lt: now } }, data: { leaseUntil } });
    if (taken.count === 1) return "new";
    const row = await db.findUnique({ where: { key } });
    return row?.state === "done" ? "done" : "busy";
  }

  /**
   * Like `begin`, but waits out another holder's lease (polling has no re-delivery to wait for): returns
   * "new" or "done", or "busy" only when `maxWaitMs` ran out.
   */
  async beginOrWait(id: string, maxWaitMs = this.leaseMs + 5_000, signal?: AbortSignal): Promise<BeginResult> {
    const deadline = Date.now() + maxWaitMs;
    for (;;) {
      const result = await this.begin(id);
      if (result !== "busy" || Date.now() >= deadline || signal?.aborted) return result;
      let waitMs = 250;
      try {
        const ttl = await this.options.redis.pttl(this.key(id));
        if (ttl > 0) waitMs = Math.min(ttl + 10, 1_000);
      } catch {
        // the database holds the lease: poll
      }
      await sleep(Math.min(waitMs, Math.max(10, deadline - Date.now())), undefined, { signal }).catch(() => undefined);
    }
  }

  /**
   * Keeps the lease of an update this process is working on alive until the returned function is called.
   * A renewal that fails is only logged (sampled with the rest): the lease may then run out early and the
   * platform's next copy be answered again, which the reply claims keep from sending twice.
   */
  hold(id: string): () => void {
    const key = this.key(id);
    this.held.set(key, (this.held.get(key) ?? 0) + 1);
    // One timer and one round trip for every update held (a burst holds hundreds at once).
    this.renewTimer ??= setInterval(() => void this.renewHeld(), Math.max(1_000, Math.floor(this.leaseMs / 3)));
    this.renewTimer.unref();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const count = (this.held.get(key) ?? 1) - 1;
      if (count > 0) this.held.set(key, count);
      else this.held.delete(key);
      if (this.held.size === 0 && this.renewTimer) {
        clearInterval(this.renewTimer);
        this.renewTimer = undefined;
      }
    };
  }

  private async renewHeld(): Promise<void> {
    const keys = [...this.held.keys()];
    if (keys.length === 0) return;
    await this.either(
      async () => {
        await this.options.redis.eval(RENEW_LEASES, keys.length, ...keys, String(this.leaseMs));
      },
      async () => {
        await this.options.prisma.channelUpdate.updateMany({ where: { key: { in: keys }, state: "lease" }, data: { leaseUntil: new Date(Date.now() + this.leaseMs) } });
      },
    ).catch(() => undefined);
  }

  /** The update's replies went out: later deliveries are duplicates. */
  finish(id: string): Promise<void> {
    const key = this.key(id);
    return this.either(
      async () => {
        await this.options.redis.set(key, "done", "EX", this.doneTtlSec);
      },
      async () => {
        await this.options.prisma.channelUpdate.upsert({
          where: { key },
          create: { key, state: "done" },
          update: { state: "done", leaseUntil: null },
        });
      },
    );
  }

  /** The turn failed in a way worth retrying: the next delivery of the update is answered. */
  abandon(id: string): Promise<void> {
    const key = this.key(id);
    return this.either(
      async () => {
        await this.options.redis.del(key);
      },
      async () => {
        await this.options.prisma.channelUpdate.deleteMany({ where: { key, state: "lease" } });
      },
    );
  }

  /** Before sending message n of the update's answer: false when it was sent (or claimed) before. */
  claimReply(id: string, n: number): Promise<boolean> {
    const key = this.replyKey(id, n);
    return this.either(
      async () => (await this.options.redis.set(key, "sent", "EX", this.doneTtlSec, "NX")) === "OK",
      async () => {
        try {
          await this.options.prisma.channelUpdate.create({ data: { key, state: "sent" } });
          return true;
        } catch (error) {
          if ((error as { code?: string }).code === "P2002") return false;
          throw error;
        }
      },
    );
  }

  /** Sending message n failed (nothing went out): a retry of the turn may send it. */
  releaseReply(id: string, n: number): Promise<void> {
    const key = this.replyKey(id, n);
    return this.either(
      async () => {
        await this.options.redis.del(key);
      },
      async () => {
        await this.options.prisma.channelUpdate.deleteMany({ where: { key } });
      },
    ).catch(() => undefined);
  }
}

/** Deletes ledger rows older than `maxAgeMs` (the nightly purge). */
export async function purgeLedger(prisma: Pick<PrismaClient, "channelUpdate">, maxAgeMs = DEFAULT_DONE_TTL_SEC * 1000, now = new Date()): Promise<number> {
  const { count } = await prisma.channelUpdate.deleteMany({ where: { createdAt: { lt: new Date(now.getTime() - maxAgeMs) } } });
  return count;
}
