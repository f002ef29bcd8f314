// /api/broadcasts: announcements from the province's systems (bearer ADMIN_API_TOKEN, see http/admin-api.ts).
//   POST /api/broadcasts              {unitCode, audience, channels?, text, photoUrl?, scheduledAt?}
//                                     optional header Idempotency-Key: a retried request returns the first one
//   GET  /api/broadcasts              the latest 50
//   GET  /api/broadcasts/:id          progress: counts, estimated time left
//   POST /api/broadcasts/:id/cancel   stop it
// Bodies are checked with zod before anything is written: a malformed request changes nothing.
import { z } from "zod";
import type { FastifyInstance } from "fastify";
import { channelRegistry, type ChannelRegistry } from "../../channels/registry.ts";
import { orList } from "../../core/text.ts";
import { parseOr400, type ApiDeps, type ApiRoutes } from "../../http/admin-api.ts";
import type { Outbox } from "../../core/ports.ts";
import type { QueueSet } from "../../queue/queues.ts";
import { MAX_SCHEDULE_DAYS } from "./schedule.ts";
import { broadcastProgress, cancelBroadcast, createBroadcast, MAX_TEXT_CHARS, type ChannelRates, type Progress } from "./service.ts";

const audienceSchema = z
  .enum(["citizens", "officers", "both", "CITIZENS", "OFFICERS", "BOTH"], { message: "expected citizens, officers or both" })
  .transform((v) => v.toUpperCase() as "CITIZENS" | "OFFICERS" | "BOTH");

/** The body of POST /api/broadcasts; `channels` are the registry's sendable channels. */
export const broadcastBodySchema = (registry: ChannelRegistry = channelRegistry) => z.strictObject({
  unitCode: z.string().trim().regex(/^[A-Za-z0-9_-]{1,32}$/, "expected a unit code (letters, digits, - and _, at most 32)"),
  audience: audienceSchema,
  channels: z
    .array(z.enum(registry.sendable as [string, ...string[]], { message: `expected ${orList(registry.sendable)}` }))
    .min(1, "omit channels to reach every channel")
    .refine((list) => new Set(list).size === list.length, "a channel is listed twice")
    .optional(),
  text: z.string().trim().min(1, "text is empty").max(MAX_TEXT_CHARS, `at most ${MAX_TEXT_CHARS} characters`),
  photoUrl: z
    .string()
    .max(500)
    .refine((v) => /^https:\/\/\S+$/i.test(v) && URL.canParse(v), "expected an https:// URL")
    .optional(),
  scheduledAt: z.iso
    .datetime({ offset: true, message: "expected an ISO 8601 date-time with its offset, e.g. 2026-12-20T08:00:00+07:00" })
    .transform((v) => new Date(v))
    .refine((d) => d.getTime() > Date.now(), "scheduledAt is in the past")
    .refine((d) => d.getTime() - Date.now() <= MAX_SCHEDULE_DAYS * 86_400_000, `at most ${MAX_SCHEDULE_DAYS} days ahead`)
    .optional(),
});

const idParams = z.object({ id: z.coerce.number({ message: "expected a broadcast id" }).int().positive().max(2_147_483_647) });
const idempotencyKey = z.string().trim().regex(/^[\x21-\x7e]{1,100}$/, "expected 1–100 visible ASCII characters").optional();

export interface BroadcastApiDeps {
  queues: QueueSet;
  outbox?: Pick<Outbox, "canSend"> | undefined;
  rates: ChannelRates;
  /** The channels there are (default: the app's registry). */
  registry?: ChannelRegistry | undefined;
}

function present(p: Progress, registry: ChannelRegistry) {
  return {
    id: p.id,
    status: p.status,
    unitCode: p.unitCode,
    unitName: p.unitName,
    audience: p.audience.toLowerCase(),
    channels: p.channels.length ? p.channels : registry.sendable,
    createdBy: p.createdBy,
    createdAt: p.createdAt,
    scheduledAt: p.scheduledAt,
    startedAt: p.startedAt,
    finishedAt: p.finishedAt,
    recipients: p.recipients,
    fannedOut: p.expanded,
    counts: p.counts,
    pendingByChannel: p.pendingByChannel,
    etaSeconds: p.etaSeconds,
  };
}

export function broadcastApi(deps: BroadcastApiDeps): ApiRoutes {
  const registry = deps.registry ?? channelRegistry;
  const bodySchema = broadcastBodySchema(registry);
  return (api: FastifyInstance, { prisma }: ApiDeps) => {
    api.post("/broadcasts", async (request, reply) => {
      const header = idempotencyKey.safeParse(request.headers["idempotency-key"]);
      if (!header.success) {
        return reply.code(400).send({ error: "invalid_request", problems: [{ path: "Idempotency-Key", message: header.error.issues[0]?.message ?? "invalid" }] });
      }
      const key = header.data;
      const body = parseOr400(bodySchema, request.body, reply);
      if (!body) return reply;
      const result = await createBroadcast(
        { prisma, queues: deps.queues, outbox: deps.outbox, registry },
        {
          unitCode: body.unitCode,
          audience: body.audience,
          channels: (body.channels ?? []).filter((c) => registry.has(c)),
          text: body.text,
          photoUrl: body.photoUrl,
          scheduledAt: body.scheduledAt,
          clientKey: key ? `api-${key}` : undefined,
          by: { personId: null, label: "api" },
        },
      );
      if (!result.ok) {
        return reply.code(400).send({ error: "invalid_request", problems: [{ path: "unitCode", message: `unknown unit ${body.unitCode}` }] });
      }
      const progress = (await broadcastProgress(prisma, result.broadcast.id, deps.rates, registry))!;
      return reply.code(result.created ? 201 : 200).send({
        ...present(progress, registry),
        preview: { total: result.preview.total, byChannel: result.preview.byChannel, channelsOff: result.preview.unavailable },
      });
    });

    api.get("/broadcasts", async () => {
      const rows = await prisma.broadcast.findMany({ orderBy: { id: "desc" }, take: 50 });
      return rows.map((b) => ({
        id: b.id,
        status: b.status,
        unitCode: b.unitCode,
        audience: b.audience.toLowerCase(),
        createdBy: b.createdByLabel,
        createdAt: b.createdAt,
        scheduledAt: b.scheduledAt,
        finishedAt: b.finishedAt,
        recipients: b.recipientCount,
      }));
    });

    api.get("/broadcasts/:id", async (request, reply) => {
      const params = parseOr400(idParams, request.params, reply);
      if (!params) return reply;
      const progress = await broadcastProgress(prisma, params.id, deps.rates, registry);
      if (!progress) return reply.code(404).send({ error: "not_found" });
      return present(progress, registry);
    });

    api.post("/broadcasts/:id/cancel", async (request, reply) => {
      const params = parseOr400(idParams, request.params, reply);
      if (!params) return reply;
      const result = await cancelBroadcast({ prisma, queues: deps.queues }, params.id, { personId: null, label: "api" });
      if (!result.ok && result.reason === "not_found") return reply.code(404).send({ error: "not_found" });
      if (!result.ok) return reply.code(409).send({ error: "already_finished", status: result.status });
      return { id: params.id, status: "CANCELLED", cancelled: result.cancelled, sentBefore: result.sent };
    });
  };
}
