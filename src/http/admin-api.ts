// /api/*: the HTTP API for the province's systems and operators. Bearer ADMIN_API_TOKEN; bodies validated
// with zod; a malformed request gets a 4xx naming what is wrong, never a crash or a partial write.
import { timingSafeEqual, createHash } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { createLogger } from "../logging/logger.ts";
import { recentAudit } from "../security/audit.ts";
import { checkCredentials } from "./guard.ts";

/** A route handler of the admin API; more routes are added by the features that own them. */
export type ApiRoutes = (app: FastifyInstance, deps: ApiDeps) => void;

export interface ApiDeps {
  prisma: PrismaClient;
}

function sameSecret(given: string, expected: string): boolean {
  // Hash first so the comparison takes the same time whatever the lengths.
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Parses a request part with zod or answers 400 with the problems listed. */
export function parseOr400<T>(schema: z.ZodType<T>, value: unknown, reply: FastifyReply): T | undefined {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  void reply.code(400).send({
    error: "invalid_request",
    problems: result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
  });
  return undefined;
}

const quiet = createLogger("silent");

/** The token of an "Authorization: Bearer …" header; the scheme is case-insensitive (RFC 9110). */
export function bearerToken(header: string | undefined): string {
  const match = /^bearer[ \t]+(\S.*)$/i.exec(header ?? "");
  return match ? match[1]!.trim() : "";
}

export function adminApi(token: string | undefined, deps: ApiDeps, routes: ApiRoutes[] = []) {
  return async (app: FastifyInstance) => {
    if (!token) return; // the API is off without a token
    await app.register(
      async (api) => {
        api.addHook("onRequest", async (request: FastifyRequest, reply: FastifyReply) => {
          const given = bearerToken(request.headers.authorization);
          return checkCredentials(api, request, reply, given !== "" && sameSecret(given, token), "admin api", quiet);
        });
        api.get("/audit", async (request) => {
          const limit = Math.min(500, Math.max(1, Number((request.query as { limit?: string }).limit) || 50));
          return recentAudit(deps.prisma, limit);
        });
        for (const add of routes) add(api, deps);
      },
      { prefix: "/api" },
    );
  };
}
