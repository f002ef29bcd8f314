// The web chat adapter on a live core (real Redis queues and outbox, fake Telegram and Zalo), served by a
// fastify server on loopback, with the handoff worker running: what a browser or fetch needs to talk to it.
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { WebAdapter, type WebAdapterOptions } from "../../src/channels/web/adapter.ts";
import { startHandoff } from "../../src/features/handoff.ts";
import { createLiveCore, type LiveCore } from "./live-core.ts";
import { seedUnits } from "./units.ts";

export interface WebHarness {
  bot: LiveCore;
  web: WebAdapter;
  http: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

export async function startWebHarness(options: { env?: Record<string, string>; adapter?: WebAdapterOptions } = {}): Promise<WebHarness> {
  const env = { DATA_DIR: mkdtempSync(path.join(tmpdir(), "troly06-web-")), ...options.env };
  let web: WebAdapter | undefined;
  const bot = await createLiveCore({
    env,
    start: (live) => {
      startHandoff({ queues: live.queues, prisma: live.db.prisma, outbox: live.outbox, config: live.services.config, log: live.services.log, messages: live.services.messages });
      // Before the outbox starts, so that it runs a worker for the web queue too.
      web = new WebAdapter(
        { config: live.services.config, core: live, redis: live.queues.redis, log: live.services.log },
        { keyPrefix: `test:web:${randomBytes(4).toString("hex")}`, streamPollMs: 500, ...options.adapter },
      );
      live.adapters.set("web", web);
    },
  });
  await seedUnits(bot.db.prisma);
  const http = Fastify();
  await http.register(async (scope) => web!.routes(scope));
  await http.listen({ port: 0, host: "127.0.0.1" });
  const address = http.server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  await web!.start();
  return {
    bot,
    web: web!,
    http,
    url,
    async close() {
      await web!.stop();
      await http.close();
      await bot.close();
    },
  };
}
