// An in-process channel adapter that records what it is asked to send and can misbehave on demand.
import { RateLimitedError, UnreachableError, type ChannelAdapter, type SentMessage } from "../../src/channels/types.ts";
import type { ChannelName, Reply } from "../../src/core/types.ts";

export type Behaviour = "ok" | "blocked" | { rateLimitedFor: number } | { failTimes: number };

export class FakeChannel implements ChannelAdapter {
  readonly sent: Array<{ chatId: string; replies: Reply[]; at: number }> = [];
  private readonly behaviour = new Map<string, Behaviour>();
  private counter = 0;
  /** When the last 429 was answered. */
  rateLimitedAt = 0;
  constructor(readonly name: ChannelName = "telegram") {}

  behave(chatId: string, behaviour: Behaviour): void {
    this.behaviour.set(chatId, behaviour);
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  async send(chatId: string, replies: Reply[]): Promise<SentMessage> {
    const b = this.behaviour.get(chatId) ?? "ok";
    if (b === "blocked") throw new UnreachableError("Forbidden: bot was blocked by the user");
    if (typeof b === "object" && "rateLimitedFor" in b) {
      this.behaviour.set(chatId, "ok");
      this.rateLimitedAt = Date.now();
      throw new RateLimitedError(b.rateLimitedFor);
    }
    if (typeof b === "object" && "failTimes" in b && b.failTimes > 0) {
      this.behaviour.set(chatId, { failTimes: b.failTimes - 1 });
      throw new Error("502 Bad Gateway");
    }
    this.sent.push({ chatId, replies, at: Date.now() });
    return { messageRef: String(++this.counter) };
  }

  sentTo(chatId: string): number {
    return this.sent.filter((s) => s.chatId === chatId).length;
  }
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
