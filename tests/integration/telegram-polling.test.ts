// The Telegram channel in long-polling mode: @grammyjs/runner fetches getUpdates from the fake Bot API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callbackUpdate, textUpdate } from "../helpers/fake-telegram.ts";
import { startTelegramHarness, type TelegramHarness } from "../helpers/telegram-harness.ts";

describe("Telegram channel, polling mode", () => {
  let h: TelegramHarness;

  beforeAll(async () => {
    h = await startTelegramHarness({
      mode: "polling",
      prepare: (core) => {
        core.router.command({
          name: "test_slow",
          description: "chậm",
          listedFor: "everyone",
          run: async (ctx) => {
            await new Promise((r) => setTimeout(r, 150));
            return [{ text: `xong ${ctx.text}` }];
          },
        });
      },
    });
  });
  afterAll(() => h?.close());

  it("removes any webhook before polling and registers no webhook route", async () => {
    expect(h.fake.calls.find((c) => c.method === "deleteWebhook")).toBeDefined();
    expect(h.fake.calls.find((c) => c.method === "setWebhook")).toBeUndefined();
    const response = await fetch(`${h.url}/webhooks/telegram`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
    expect(response.status).toBe(404);
  });

  it("picks up updates from getUpdates and answers them", async () => {
    h.fake.pushUpdate(textUpdate("/start", 301));
    const sent = await h.fake.waitFor(() => h.fake.ok("sendMessage").find((c) => c.params.chat_id === 301));
    expect(String(sent.params.text)).toMatch(/Xin chào/);
    const polls = h.fake.calls.filter((c) => c.method === "getUpdates");
    expect(polls[0]!.params.allowed_updates).toEqual(["message", "callback_query", "my_chat_member"]);
  });

  it("answers one chat's messages in order, and processes a repeated update once", async () => {
    h.fake.pushUpdate(textUpdate("/test_slow 1", 302));
    h.fake.pushUpdate(textUpdate("/test_slow 2", 302));
    const press = callbackUpdate("menu", 303);
    const id = h.fake.pushUpdate(press);
    h.fake.pushUpdate({ ...press, update_id: id }); // the same update again
    await h.fake.waitFor(() => h.fake.ok("sendMessage").filter((c) => c.params.chat_id === 302).length === 2);
    await h.fake.waitFor(() => h.fake.ok("sendMessage").some((c) => c.params.chat_id === 303));
    await new Promise((r) => setTimeout(r, 300));
    expect(h.fake.ok("sendMessage").filter((c) => c.params.chat_id === 302).map((c) => c.params.text)).toEqual([
      "xong /test_slow 1",
      "xong /test_slow 2",
    ]);
    expect(h.fake.ok("sendMessage").filter((c) => c.params.chat_id === 303)).toHaveLength(1);
    expect(h.fake.ok("answerCallbackQuery")).toHaveLength(1);
  });

  it("stops polling on stop()", async () => {
    await h.adapter.stop();
    const count = h.fake.calls.filter((c) => c.method === "getUpdates").length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(h.fake.calls.filter((c) => c.method === "getUpdates").length).toBe(count);
  });
});
