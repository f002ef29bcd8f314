// Privacy at rest: an unfinished "Hỏi cán bộ" keeps no ID or phone number in the database (the dialogue
// state holds the redacted question; the full one waits in Redis for a few minutes, for "Gửi kèm số"), and
// the nightly purge removes dialogue state nobody touched for a day.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantRole, personForAccount } from "../../src/features/access/service.ts";
import { startHandoff } from "../../src/features/handoff.ts";
import { purgeDialogueState } from "../../src/features/maintenance.ts";
import { waitFor } from "../helpers/fake-channel.ts";
import { createLiveCore, type LiveCore } from "../helpers/live-core.ts";
import { seedCurrentUnits } from "../helpers/units.ts";

const QUESTION = "cccd001203004567 cua toi sai ngay sinh, sdt 0912 345 678, mail an.nguyen@gmail.com";

describe("privacy at rest", () => {
  let bot: LiveCore;
  const citizen = (userId: string, text: string | undefined, payload?: string) => bot.send({ channel: "zalo", userId, text, payload });
  const storedState = async (userId: string) => {
    const identity = await bot.db.prisma.channelIdentity.findFirstOrThrow({ where: { externalUserId: userId } });
    return bot.db.prisma.conversationState.findUnique({ where: { identityId: identity.id } });
  };

  beforeAll(async () => {
    bot = await createLiveCore({
      start: (live) =>
        startHandoff({ queues: live.queues, prisma: live.db.prisma, outbox: live.outbox, config: live.services.config, log: live.services.log, messages: live.services.messages }),
    });
    await seedCurrentUnits(bot.db.prisma);
    const p = bot.db.prisma;
    await grantRole(p, { personId: await personForAccount(p, "telegram", "tg-officer"), role: "OFFICER", unitCode: "19288", by: { personId: null, label: "test" } });
  });
  afterAll(() => bot.close());

  it("keeps only the redacted question in the dialogue state while the citizen chooses", async () => {
    await citizen("zl-a", undefined, "handoff:start");
    await citizen("zl-a", "sen ngu");
    const confirm = await citizen("zl-a", QUESTION);
    expect(confirm.replies[0]!.text).toMatch(/\[số định danh\]/);
    const state = JSON.stringify((await storedState("zl-a"))!.state);
    expect(state).toMatch(/\[số định danh\].*\[số điện thoại\].*\[email\]/);
    expect(state).not.toMatch(/001203004567|0912|345 678|gmail/);

    // "Gửi kèm số": the officer gets the numbers the citizen chose to send.
    await citizen("zl-a", undefined, "handoff:pii:keep");
    await waitFor(() => bot.channels.telegram.sent.some((s) => s.chatId === "tg-officer"), 5000, "forward to officer");
    const forwarded = bot.channels.telegram.sent.find((s) => s.chatId === "tg-officer")!.replies[0]!.text;
    expect(forwarded).toContain("cccd001203004567");
    expect(JSON.stringify((await storedState("zl-a"))!.state)).not.toContain("handoff");
  });

  it("sends the redacted question when the full one is gone (expired or hidden)", async () => {
    await citizen("zl-b", undefined, "handoff:start");
    await citizen("zl-b", "sen ngu");
    await citizen("zl-b", QUESTION);
    const keys = await bot.queues.redis.keys(`${bot.queues.prefix}:handoff:raw:*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(await bot.queues.redis.ttl(key)).toBeLessThanOrEqual(15 * 60);
    await bot.queues.redis.del(...keys); // as after 15 minutes
    const before = bot.channels.telegram.sent.length;
    await citizen("zl-b", undefined, "handoff:pii:keep");
    await waitFor(() => bot.channels.telegram.sent.length > before, 5000, "forward to officer");
    const forwarded = bot.channels.telegram.sent.at(-1)!.replies[0]!.text;
    expect(forwarded).toContain("[số định danh]");
    expect(forwarded).not.toMatch(/001203004567|0912/);
  });

  it("purges dialogue state nobody touched for a day, and keeps the rest", async () => {
    await citizen("zl-c", undefined, "handoff:start");
    await citizen("zl-d", undefined, "handoff:start");
    const stale = (await storedState("zl-c"))!;
    await bot.db.prisma.$executeRaw`UPDATE conversation_state SET updated_at = ${new Date(Date.now() - 25 * 3600_000)} WHERE identity_id = ${stale.identityId}`;
    expect(await purgeDialogueState(bot.db.prisma)).toBe(1);
    expect(await storedState("zl-c")).toBeNull();
    expect(await storedState("zl-d")).not.toBeNull();
  });
});
