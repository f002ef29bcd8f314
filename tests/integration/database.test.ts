// Migrations apply to an empty database and every model works through the generated client, on the
// embedded PGlite and on a real PostgreSQL server: schema.prisma and the SQL cannot drift apart.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/client.ts";
import { openTestDatabase, type DatabaseKind } from "../helpers/databases.ts";

describe.each<DatabaseKind>(["pglite", "postgres"])("database on %s", (kind) => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase(kind, false);
  });
  afterAll(async () => db?.close());

  it("applies all migrations to an empty database, once", async () => {
    const first = await db.migrate();
    expect(first.applied.length).toBeGreaterThan(0);
    const second = await db.migrate();
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toEqual(first.applied);
  });

  it("creates, reads, updates and deletes every model", async () => {
    const p = db.prisma;
    await p.adminUnit.create({ data: { code: "44", name: "Quảng Bình", nameFolded: "quang binh", level: "PROVINCE", path: "/44/" } });
    await p.adminUnit.create({
      data: { code: "450", name: "Lệ Thủy", nameFolded: "le thuy", level: "DISTRICT", parentCode: "44", path: "/44/450/" },
    });
    await p.adminUnit.create({
      data: { code: "19123", name: "Xã Sen Thủy", nameFolded: "xa sen thuy", level: "COMMUNE", parentCode: "450", path: "/44/450/19123/" },
    });
    const subtree = await p.adminUnit.findMany({ where: { path: { startsWith: "/44/450/" } }, orderBy: { path: "asc" } });
    expect(subtree.map((u) => u.code)).toEqual(["450", "19123"]);

    const person = await p.person.create({
      data: {
        displayName: "Cán bộ A",
        identities: { create: { channel: "TELEGRAM", externalUserId: "1001", chatId: "1001" } },
        roles: { create: { role: "OFFICER", unitCode: "19123", grantedBy: "test" } },
      },
      include: { identities: true, roles: true },
    });
    const identity = person.identities[0]!;
    expect(person.roles[0]!.role).toBe("OFFICER");
    await expect(
      p.channelIdentity.create({ data: { channel: "TELEGRAM", externalUserId: "1001", chatId: "x", personId: person.id } }),
    ).rejects.toMatchObject({ code: "P2002" });

    const expires = new Date(Date.now() + 3600_000);
    await p.inviteCode.create({ data: { codeHash: "h1", role: "SUPERVISOR", unitCode: "450", createdBy: "test", expiresAt: expires } });
    await p.linkCode.create({ data: { codeHash: "l1", personId: person.id, expiresAt: expires } });
    await p.auditLog.create({ data: { actorPersonId: person.id, actorLabel: "telegram:1001", action: "invite.create", unitCode: "450", detail: { role: "SUPERVISOR" } } });
    await p.conversationMessage.create({ data: { personId: person.id, identityId: identity.id, direction: "IN", text: "xin chào", intentId: null } });
    await p.conversationState.create({ data: { identityId: identity.id, state: { guide: "vneid_kich_hoat", step: 2 } } });
    await p.unansweredQuestion.create({ data: { text: "giá vàng", normalized: "gia vang", outcome: "FALLBACK", confidence: 0.1, channel: "TELEGRAM" } });
    const ticket = await p.handoffTicket.create({
      data: {
        citizenPersonId: person.id,
        citizenIdentityId: identity.id,
        unitCode: "19123",
        question: "hỏi cán bộ",
        messages: { create: { direction: "IN", text: "hỏi cán bộ", channel: "TELEGRAM", chatId: "-100", forwardRef: "77" } },
      },
    });
    await p.subscription.create({ data: { identityId: identity.id, unitCode: "19123", source: "QR" } });
    await p.officerGroup.create({ data: { channel: "TELEGRAM", chatId: "-100", unitCode: "19123", createdBy: "test" } });
    await expect(p.officerGroup.create({ data: { channel: "TELEGRAM", chatId: "-100", unitCode: "450", createdBy: "test" } })).rejects.toMatchObject({ code: "P2002" });
    await p.indicator.create({ data: { code: "vneid_l2", name: "Tài khoản VNeID mức 2", group: "VNeID", kind: "TARGET" } });
    await p.indicatorValue.create({
      data: {
        unitCode: "19123", indicatorCode: "vneid_l2", periodKind: "MONTH", period: "2024-03", periodEnd: new Date("2024-03-31"),
        numerator: 151446, denominator: 230745, rate: 65.63, reportedRate: 67, source: "IMPORT", enteredBy: "test",
      },
    });
    const task = await p.planTask.create({
      data: { title: "Báo cáo tháng", deadlineKind: "MONTH", dueDate: new Date("2024-12-31"), createdBy: "test", units: { create: { unitCode: "19123" } } },
    });
    await p.reminder.create({ data: { jobKey: `task-${task.id}-d7-${person.id}`, kind: "TASK", personId: person.id, taskId: task.id, text: "Còn 7 ngày", dueAt: new Date() } });
    const broadcast = await p.broadcast.create({
      data: {
        createdById: person.id, createdByLabel: "telegram:1001", unitCode: "450", audience: "CITIZENS", channels: ["TELEGRAM", "ZALO"],
        text: "Thông báo", deliveries: { create: { identityId: identity.id } },
      },
      include: { deliveries: true },
    });
    expect(broadcast.channels).toEqual(["TELEGRAM", "ZALO"]);
    await expect(p.broadcastDelivery.create({ data: { broadcastId: broadcast.id, identityId: identity.id } })).rejects.toMatchObject({ code: "P2002" });

    // Read back through relations.
    const loaded = await p.person.findUniqueOrThrow({
      where: { id: person.id },
      include: { identities: { include: { subscription: true, state: true, deliveries: true } }, reminders: true, tickets: { include: { messages: true } }, auditEntries: true, linkCodes: true },
    });
    expect(loaded.identities[0]!.subscription!.unitCode).toBe("19123");
    expect(loaded.identities[0]!.state!.state).toEqual({ guide: "vneid_kich_hoat", step: 2 });
    expect(loaded.tickets[0]!.messages[0]!.forwardRef).toBe("77");
    expect(loaded.reminders).toHaveLength(1);
    const value = await p.indicatorValue.findFirstOrThrow({ where: { unitCode: "19123" } });
    expect(value.periodEnd.toISOString().slice(0, 10)).toBe("2024-03-31");
    expect(value.reportedRate).toBe(67);

    // Update.
    await p.handoffTicket.update({ where: { id: ticket.id }, data: { status: "CLOSED", closedAt: new Date() } });
    await p.planTask.update({ where: { id: task.id }, data: { status: "DONE", completionNote: "đã gửi" } });
    await p.broadcastDelivery.updateMany({ where: { broadcastId: broadcast.id }, data: { status: "SENT", sentAt: new Date() } });
    expect((await p.handoffTicket.findUniqueOrThrow({ where: { id: ticket.id } })).status).toBe("CLOSED");
    expect(await p.inviteCode.count()).toBe(1);
    expect(await p.unansweredQuestion.count()).toBe(1);

    // Delete: removing a person cascades to what is theirs; audit entries stay, detached.
    await p.broadcast.delete({ where: { id: broadcast.id } });
    await p.person.delete({ where: { id: person.id } });
    expect(await p.channelIdentity.count()).toBe(0);
    expect(await p.subscription.count()).toBe(0);
    expect(await p.reminder.count()).toBe(0);
    expect(await p.broadcastDelivery.count()).toBe(0);
    expect((await p.auditLog.findFirstOrThrow()).actorPersonId).toBeNull();
    await p.planTask.delete({ where: { id: task.id } });
    await p.indicatorValue.deleteMany();
    expect(await p.planTaskUnit.count()).toBe(0);
  });
});
