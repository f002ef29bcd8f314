// bull-board at /admin/queues for operators: every BullMQ queue of the app (reminders, outbox per channel,
// maintenance, …). Behind ADMIN_API_TOKEN: "Authorization: Bearer <token>", or HTTP Basic with the token
// as password (any user name) so a browser can open it. Off when no token is set.
import { createHash, timingSafeEqual } from "node:crypto";
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { FastifyAdapter } from "@bull-board/fastify";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { createLogger } from "../logging/logger.ts";
import type { QueueSet } from "../queue/queues.ts";
import { checkCredentials } from "./guard.ts";

const quiet = createLogger("silent");

export const BULL_BOARD_PATH = "/admin/queues";

function same(given: string, expected: string): boolean {
  return timingSafeEqual(createHash("sha256").update(given).digest(), createHash("sha256").update(expected).digest());
}

/** The token from a Bearer or Basic Authorization header. */
export function presentedToken(header: string | undefined): string {
  if (!header) return "";
  if (/^bearer[ \t]/i.test(header)) return header.slice(7).trim();
  if (/^basic[ \t]/i.test(header)) {
    const decoded = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return colon === -1 ? decoded : decoded.slice(colon + 1);
  }
  return "";
}

/** Names of the queues that exist in Redis (their meta keys), plus the given ones. */
export async function queueNames(queues: QueueSet, known: string[] = []): Promise<string[]> {
  const names = new Set(known);
  let cursor = "0";
  do {
    const [next, keys] = await queues.redis.scan(cursor, "MATCH", `${queues.prefix}:*:meta`, "COUNT", 1000);
    cursor = next;
    for (const key of keys) {
      const name = key.slice(queues.prefix.length + 1, -":meta".length);
      if (name && !name.includes(":")) names.add(name);
    }
  } while (cursor !== "0");
  return [...names].sort();
}

/** A fastify plugin for buildHttpServer's `plugins`. */
export function bullBoard(token: string | undefined, queues: QueueSet, known: string[] = []) {
  return async (app: FastifyInstance) => {
    if (!token) return; // off without a token
    const serverAdapter = new FastifyAdapter();
    serverAdapter.setBasePath(BULL_BOARD_PATH);
    const names = await queueNames(queues, known);
    createBullBoard({
      queues: names.map((name) => new BullMQAdapter(queues.queue(name))),
      serverAdapter,
      options: { uiConfig: { boardTitle: "Trợ lý 06" } },
    });
    await app.register(async (scope) => {
      scope.addHook("onRequest", async (request: FastifyRequest, reply: FastifyReply) => {
        const given = presentedToken(request.headers.authorization);
        const valid = given !== "" && same(given, token);
        return checkCredentials(scope, request, reply, valid, "queue dashboard", quiet, {
          "www-authenticate": 'Basic realm="Tro ly 06 queues", charset="UTF-8"',
        });
      });
      await scope.register(serverAdapter.registerPlugin(), { prefix: BULL_BOARD_PATH });
    });
  };
}
