// A core (pipeline + router) on an in-memory database, for tests that talk to the bot directly.
import { createCore, type Core } from "../../src/app.ts";
import type { RateLimiter } from "../../src/core/rate-limit.ts";
import type { MatcherOptions } from "../../src/features/faq/matcher.ts";
import type { ChannelName, IncomingMessage } from "../../src/core/types.ts";
import type { Database } from "../../src/db/client.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { testConfig } from "./config.ts";
import { openTestDatabase } from "./databases.ts";

export interface TestCore extends Core {
  db: Database;
  say(text: string, user?: string, channel?: ChannelName): ReturnType<Core["pipeline"]["handle"]>;
  press(payload: string, user?: string, channel?: ChannelName): ReturnType<Core["pipeline"]["handle"]>;
  close(): Promise<void>;
}

export async function createTestCore(
  options: { env?: Record<string, string>; rateLimiter?: RateLimiter; db?: Database; faqOptions?: MatcherOptions } = {},
): Promise<TestCore> {
  const db = options.db ?? (await openTestDatabase("pglite"));
  const core = createCore({ config: testConfig(options.env), db, log: createLogger("silent"), rateLimiter: options.rateLimiter, faqOptions: options.faqOptions });
  const message = (user: string, channel: ChannelName): IncomingMessage => ({
    channel,
    userId: user,
    chatId: user,
    receivedAt: new Date(),
  });
  return {
    ...core,
    db,
    say: (text, user = "u1", channel = "cli") => core.pipeline.handle({ ...message(user, channel), text }),
    press: (payload, user = "u1", channel = "cli") => core.pipeline.handle({ ...message(user, channel), payload }),
    close: () => db.close(),
  };
}
