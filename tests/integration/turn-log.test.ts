// One citizen's turn can be followed through the log: the pipeline's line, a feature's line, and the
// outbox lines of the message it queued (queued, then its outcome from the worker) share one turn id,
// and no line carries the citizen's platform id (a phone-like number here).
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantRole, personForAccount } from "../../src/features/access/service.ts";
import { startHandoff } from "../../src/features/handoff.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { userKey } from "../../src/logging/turn.ts";
import { waitFor } from "../helpers/fake-channel.ts";
import { createLiveCore, type LiveCore } from "../helpers/live-core.ts";
import { seedCurrentUnits } from "../helpers/units.ts";

type Line = Record<string, unknown> & { msg?: string; turn?: string };

describe("turn logger", () => {
  const raw: string[] = [];
  const lines = (): Line[] => raw.join("").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Line);
  let bot: LiveCore;
  // A Zalo user id that looks like a phone number: it must never reach the log whole.
  const citizenId = "0912345678";

  beforeAll(async () => {
    const sink = new Writable({ write: (chunk, _enc, done) => (raw.push(String(chunk)), done()) });
    bot = await createLiveCore({
      log: createLogger("debug", sink),
      start: (live) =>
        startHandoff({ queues: live.queues, prisma: live.db.prisma, outbox: live.outbox, config: live.services.config, log: live.services.log, messages: live.services.messages }),
    });
    const p = bot.db.prisma;
    await seedCurrentUnits(p);
    await grantRole(p, { personId: await personForAccount(p, "telegram", "tg-officer"), role: "OFFICER", unitCode: "19288", by: { personId: null, label: "test" } });
  });
  afterAll(() => bot.close());

  it("gives every line of a handoff turn the same turn id, channel and hashed user key", async () => {
    const citizen = (text?: string, payload?: string) => bot.send({ channel: "zalo", userId: citizenId, text, payload });
    await citizen(undefined, "handoff:start");
    await citizen("sen ngu");
    const before = lines().length;
    expect((await citizen("lam the can cuoc can mang gi")).replies[0]!.text).toMatch(/Đã gửi câu hỏi số/);
    await waitFor(() => lines().some((l) => l.msg === "outbox: outcome" && l.status === "sent"), 5000, "outbox outcome line");

    const turnLine = lines().slice(before).find((l) => l.msg === "turn");
    expect(turnLine).toMatchObject({ channel: "zalo", user: userKey("zalo", citizenId) });
    const turn = turnLine!.turn!;
    expect(turn).toMatch(/^[0-9a-f]{12}$/);
    const ofTurn = lines().filter((l) => l.turn === turn).map((l) => l.msg);
    expect(ofTurn).toEqual(expect.arrayContaining(["turn", "handoff: question forwarded", "outbox: queued", "outbox: outcome"]));
    // The earlier turns of the same citizen had their own ids.
    const turns = new Set(lines().filter((l) => l.msg === "turn").map((l) => l.turn));
    expect(turns.size).toBe(3);
    expect(raw.join("")).not.toContain(citizenId);
  });
});
