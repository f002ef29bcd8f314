// The delivery ledger of incoming updates on Redis, and on the database when Redis is away: it never
// fails open (an update already answered is not answered again while Redis is down), a lease blocks
// re-deliveries until it expires, and each reply message is claimed once.
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { purgeLedger, UpdateLedger } from "../../src/channels/ledger.ts";
import type { Database } from "../../src/db/client.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { openTestDatabase, type DatabaseKind } from "../helpers/databases.ts";

const down = () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6379"));
const deadRedis = { set: down, get: down, del: down, pttl: down } as unknown as Redis;

describe.each<DatabaseKind>(["pglite", "postgres"])("update ledger with Redis away, on %s", (kind) => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase(kind);
    await db.prisma.channelUpdate.count(); // the first query of a fresh database is slow
  });
  afterAll(async () => db?.close());

  const ledger = (leaseMs = 300) =>
    new UpdateLedger({ redis: deadRedis, prisma: db.prisma, log: createLogger("silent"), prefix: "tg:", leaseMs });

  it("answers an update once, lets a crashed turn's lease expire, and claims each reply once", async () => {
    const l = ledger(2_000);
    expect(await l.begin("1")).toBe("new");
    expect(await l.begin("1")).toBe("busy"); // in progress
    expect(await l.claimReply("1", 0)).toBe(true);
    expect(await l.claimReply("1", 0)).toBe(false);
    await new Promise((r) => setTimeout(r, 2_050));
    expect(await l.begin("1")).toBe("new"); // the lease expired: the re-delivery is answered
    expect(await l.claimReply("1", 0)).toBe(false); // but the first message is not sent again
    expect(await l.claimReply("1", 1)).toBe(true);
    await l.finish("1");
    expect(await l.begin("1")).toBe("done");
    await new Promise((r) => setTimeout(r, 2_050));
    expect(await l.begin("1")).toBe("done");
  });

  it("gives an expired lease to one taker only", async () => {
    const l = ledger(100);
    expect(await l.begin("race")).toBe("new");
    await new Promise((r) => setTimeout(r, 150));
    const results = await Promise.all(Array.from({ length: 8 }, () => l.begin("race")));
    expect(results.filter((r) => r === "new")).toHaveLength(1);
  });

  it("abandons a failed turn and releases a failed reply, so the next delivery sends it", async () => {
    const l = ledger(60_000);
    expect(await l.begin("2")).toBe("new");
    expect(await l.claimReply("2", 0)).toBe(true);
    await l.releaseReply("2", 0);
    await l.abandon("2");
    expect(await l.begin("2")).toBe("new");
    expect(await l.claimReply("2", 0)).toBe(true);
  });

  it("waits out a lease in polling mode", async () => {
    const l = ledger(200);
    expect(await l.begin("3")).toBe("new");
    const started = Date.now();
    expect(await l.beginOrWait("3")).toBe("new");
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it("is purged after a day", async () => {
    await db.prisma.channelUpdate.create({ data: { key: "tg:old", state: "done", createdAt: new Date(Date.now() - 2 * 86_400_000) } });
    expect(await purgeLedger(db.prisma)).toBe(1);
    expect(await db.prisma.channelUpdate.findUnique({ where: { key: "tg:old" } })).toBeNull();
    expect(await db.prisma.channelUpdate.count()).toBeGreaterThan(0);
  });
});

describe("update ledger on Redis", () => {
  let redis: Redis;
  let db: Database;
  const prefix = `test:ledger:${randomBytes(4).toString("hex")}:`;
  beforeAll(async () => {
    redis = new Redis(inject("redisUrl"));
    db = await openTestDatabase("pglite");
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await db.close();
  });

  it("leases, finishes and claims without touching the database", async () => {
    const l = new UpdateLedger({ redis, prisma: db.prisma, log: createLogger("silent"), prefix, leaseMs: 200 });
    expect(await l.begin("1")).toBe("new");
    expect(await l.begin("1")).toBe("busy");
    expect(await l.claimReply("1", 0)).toBe(true);
    expect(await l.claimReply("1", 0)).toBe(false);
    expect(await l.beginOrWait("1")).toBe("new");
    await l.finish("1");
    expect(await l.begin("1")).toBe("done");
    expect(await redis.ttl(`${prefix}1`)).toBeGreaterThan(80_000);
    expect(await db.prisma.channelUpdate.count()).toBe(0);
  });

  it("keeps a held lease alive past its length, stops when released, and never renews a done mark", async () => {
    // A turn that waits long for its place in a burst must not look crashed to the next delivery.
    const l = new UpdateLedger({ redis, prisma: db.prisma, log: createLogger("silent"), prefix, leaseMs: 1_500 });
    expect(await l.begin("held")).toBe("new");
    const release = l.hold("held");
    await new Promise((r) => setTimeout(r, 3_500));
    expect(await l.begin("held")).toBe("busy");
    release();
    await new Promise((r) => setTimeout(r, 1_700));
    expect(await l.begin("held")).toBe("new"); // no renewals after the release: it ran out

    expect(await l.begin("finished")).toBe("new");
    const releaseFinished = l.hold("finished");
    await l.finish("finished");
    await new Promise((r) => setTimeout(r, 1_200));
    releaseFinished();
    expect(await redis.get(`${prefix}finished`)).toBe("done");
    expect(await redis.ttl(`${prefix}finished`)).toBeGreaterThan(80_000);
  }, 20_000);
});
