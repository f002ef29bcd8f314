// POST /api/broadcasts and friends over real HTTP: bearer token, zod validation (a malformed request writes
// nothing), idempotency, progress, cancel — on PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/fake-channel.ts";
import { API_TOKEN, citizen, createBroadcastHarness, seedUnits, staff, type BroadcastHarness } from "../helpers/broadcast-harness.ts";

describe("/api/broadcasts", () => {
  let h: BroadcastHarness;
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${h.url}/api${path}`, {
      method,
      headers: { authorization: `Bearer ${API_TOKEN}`, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
  const valid = { unitCode: "450", audience: "citizens", text: "Ngày hội Công dân 3 có tại nhà văn hóa xã, 7h30 chủ nhật." };

  beforeAll(async () => {
    h = await createBroadcastHarness({ db: "postgres" });
    await seedUnits(h.prisma);
    for (let i = 0; i < 5; i++) await citizen(h.prisma, "telegram", `tg-${i}`, "19123");
    for (let i = 0; i < 3; i++) await citizen(h.prisma, "zalo", `zl-${i}`, "19124");
    await citizen(h.prisma, "zalo", "zl-far", "19200");
    await staff(h.prisma, "zalo", "zl-officer", "OFFICER", "19124");
  });
  afterAll(() => h?.close());

  it("requires the token", async () => {
    const response = await fetch(`${h.url}/api/broadcasts`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(valid) });
    expect(response.status).toBe(401);
    expect(await h.prisma.broadcast.count()).toBe(0);
  });

  it.each([
    ["not JSON", "{unitCode: 450"],
    ["an array", [valid]],
    ["no text", { ...valid, text: undefined }],
    ["blank text", { ...valid, text: "   " }],
    ["text too long", { ...valid, text: "x".repeat(3001) }],
    ["unknown audience", { ...valid, audience: "everyone" }],
    ["unknown channel", { ...valid, channels: ["sms"] }],
    ["empty channel list", { ...valid, channels: [] }],
    ["duplicate channel", { ...valid, channels: ["zalo", "zalo"] }],
    ["bad unit code", { ...valid, unitCode: "45 0; drop table" }],
    ["unknown unit", { ...valid, unitCode: "99999" }],
    ["http photo", { ...valid, photoUrl: "http://example.com/a.png" }],
    ["time without offset", { ...valid, scheduledAt: "2030-12-20T08:00:00" }],
    ["time in the past", { ...valid, scheduledAt: "2020-12-20T08:00:00+07:00" }],
    ["time too far", { ...valid, scheduledAt: new Date(Date.now() + 90 * 86_400_000).toISOString() }],
    ["unknown field", { ...valid, priority: "high" }],
    ["text of the wrong type", { ...valid, text: 42 }],
  ])("answers 400 to %s and writes nothing", async (_name, body) => {
    const response = await call("POST", "/broadcasts", body);
    expect(response.status).toBe(400);
    expect(await h.prisma.broadcast.count()).toBe(0);
    expect(await h.prisma.auditLog.count({ where: { action: "broadcast.send" } })).toBe(0);
  });

  it("refuses a malformed Idempotency-Key", async () => {
    const response = await call("POST", "/broadcasts", valid, { "idempotency-key": "x".repeat(101) });
    expect(response.status).toBe(400);
    expect(await h.prisma.broadcast.count()).toBe(0);
  });

  let id = 0;
  it("creates, fans out and reports progress; a retried request with the same key creates nothing", async () => {
    const response = await call("POST", "/broadcasts", { ...valid, channels: ["zalo", "telegram"] }, { "idempotency-key": "so-ke-hoach-123" });
    expect(response.status).toBe(201);
    const created = (await response.json()) as { id: number; preview: { total: number; byChannel: Record<string, number> } };
    expect(created.preview).toMatchObject({ total: 8, byChannel: { telegram: 5, zalo: 3 } });
    id = created.id;
    const again = await call("POST", "/broadcasts", { ...valid, channels: ["zalo", "telegram"] }, { "idempotency-key": "so-ke-hoach-123" });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { id: number }).id).toBe(id);
    expect(await h.prisma.broadcast.count()).toBe(1);
    await waitFor(async () => ((await (await call("GET", `/broadcasts/${id}`)).json()) as { status: string }).status === "DONE", 15_000, "done");
    const progress = (await (await call("GET", `/broadcasts/${id}`)).json()) as Record<string, unknown>;
    expect(progress).toMatchObject({
      id,
      status: "DONE",
      unitCode: "450",
      audience: "citizens",
      recipients: 8,
      fannedOut: true,
      counts: { pending: 0, sent: 8, failed: 0, unreachable: 0, uncertain: 0, cancelled: 0 },
      etaSeconds: null,
      createdBy: "api",
    });
    expect(h.channels.zalo.sentTo("zl-far")).toBe(0);
    expect(h.channels.zalo.sentTo("zl-officer")).toBe(0);
    const audit = await h.prisma.auditLog.findFirstOrThrow({ where: { action: "broadcast.send" } });
    expect(audit).toMatchObject({ actorLabel: "api", unitCode: "450" });
  });

  it("lists, reports 404 and 400 on bad ids", async () => {
    const list = (await (await call("GET", "/broadcasts")).json()) as Array<{ id: number }>;
    expect(list.map((b) => b.id)).toContain(id);
    expect((await call("GET", "/broadcasts/999999")).status).toBe(404);
    expect((await call("GET", "/broadcasts/abc")).status).toBe(400);
    expect((await call("POST", "/broadcasts/999999/cancel")).status).toBe(404);
    expect((await call("POST", `/broadcasts/${id}/cancel`)).status).toBe(409);
  });

  it("schedules for later and cancels", async () => {
    const at = new Date(Date.now() + 3 * 86_400_000);
    const response = await call("POST", "/broadcasts", { ...valid, audience: "both", scheduledAt: at.toISOString() });
    expect(response.status).toBe(201);
    const created = (await response.json()) as { id: number; status: string; scheduledAt: string; recipients: number; etaSeconds: number };
    expect(created).toMatchObject({ status: "SCHEDULED", scheduledAt: at.toISOString(), recipients: 9 });
    expect(created.etaSeconds).toBeGreaterThan(0);
    const cancelled = await call("POST", `/broadcasts/${created.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(await cancelled.json()).toMatchObject({ status: "CANCELLED", cancelled: 0 });
    expect(await h.prisma.auditLog.count({ where: { action: "broadcast.cancel", actorLabel: "api" } })).toBe(1);
  });
});
