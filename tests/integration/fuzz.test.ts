// Thousands of random and malformed messages: the bot answers every one and nothing crashes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestCore, type TestCore } from "../helpers/core.ts";
import { randomText, rng } from "../helpers/fuzz.ts";
import { seedUnits } from "../helpers/units.ts";

describe("fuzz", () => {
  let bot: TestCore;
  beforeAll(async () => {
    bot = await createTestCore({ env: { RATE_LIMIT_PER_MINUTE: "10000", MAX_MESSAGE_CHARS: "2000" } });
    await seedUnits(bot.db.prisma);
  });
  afterAll(() => bot.close());

  it("answers 3,000 random messages and button presses, each with a non-empty reply", async () => {
    const next = rng(20261123);
    let answered = 0;
    for (let i = 0; i < 3000; i++) {
      const user = `fuzz-${Math.floor(next() * 50)}`;
      const result =
        next() < 0.15
          ? await bot.press(randomText(next).slice(0, 64) || "x", user)
          : await bot.say(randomText(next), user, (["cli", "telegram", "zalo"] as const)[Math.floor(next() * 3)]);
      expect(result.replies.length).toBeGreaterThan(0);
      expect(result.replies.every((r) => typeof r.text === "string" && r.text.length > 0)).toBe(true);
      // A crash inside would surface as the generic error reply: none may happen.
      expect(result.replies[0]!.text).not.toMatch(/trục trặc/);
      answered++;
    }
    expect(answered).toBe(3000);
  }, 300_000);
});
