// Roles, invitations, identity links and erasure, through the chat commands as people use them, on
// today's two tiers: Tỉnh Quảng Trị (44) with its communes (tests/helpers/units.ts) and, for "another
// province", Phường Long Xuyên (30307) of Tỉnh An Giang (91).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantRole, personForAccount } from "../../src/features/access/service.ts";
import { purgeConversations } from "../../src/features/maintenance.ts";
import { authorize } from "../../src/security/policy.ts";
import { createTestCore, type TestCore } from "../helpers/core.ts";
import { importUnits } from "../../src/features/units.ts";
import { seedCurrentUnits } from "../helpers/units.ts";

const op = { personId: null, label: "test" };

describe("identity, roles and privacy", () => {
  let bot: TestCore;
  const text = async (message: string, user: string, channel: "cli" | "telegram" | "zalo" = "cli") =>
    (await bot.say(message, user, channel)).replies.map((r) => r.text).join("\n");

  beforeAll(async () => {
    bot = await createTestCore({ env: { RATE_LIMIT_PER_MINUTE: "1000" } });
    const p = bot.db.prisma;
    await seedCurrentUnits(p);
    const since = "2025-07-01";
    await importUnits(p, [
      { code: "91", name: "Tỉnh An Giang", level: "PROVINCE", parent_code: undefined, valid_from: since },
      { code: "30307", name: "Phường Long Xuyên", level: "COMMUNE", parent_code: "91", valid_from: since },
    ]);
    await grantRole(p, { personId: await personForAccount(p, "cli", "admin"), role: "ADMIN", unitCode: "44", by: op });
    await grantRole(p, { personId: await personForAccount(p, "cli", "sup44"), role: "SUPERVISOR", unitCode: "44", by: op });
    await grantRole(p, { personId: await personForAccount(p, "cli", "off19288"), role: "OFFICER", unitCode: "19288", by: op });
    await grantRole(p, { personId: await personForAccount(p, "cli", "off30307"), role: "OFFICER", unitCode: "30307", by: op });
  });
  afterAll(() => bot.close());

  describe("policy", () => {
    const roles = {
      citizen: [],
      officer: [{ role: "OFFICER" as const, unitCode: "19288" }],
      supervisor: [{ role: "SUPERVISOR" as const, unitCode: "44" }],
      admin: [{ role: "ADMIN" as const, unitCode: "44" }],
    };
    it.each([
      ["citizen", "indicators.view", "19288", false],
      ["officer", "indicators.view", "19288", true],
      ["officer", "indicators.view", "44", false], // the province above
      ["officer", "indicators.view", "19249", false], // a sibling commune
      ["officer", "broadcast.send", "19288", false],
      ["supervisor", "indicators.view", "19249", true], // below
      ["supervisor", "broadcast.send", "44", true],
      ["supervisor", "broadcast.send", "30307", false], // another province
      ["supervisor", "audit.view", "44", false],
      ["admin", "audit.view", "19249", true],
      ["admin", "roles.manage", "44", true],
      ["officer", "indicators.view", "no-such-unit", false],
    ] as const)("%s → %s on %s: %s", async (who, permission, unit, allowed) => {
      expect((await authorize(bot.db.prisma, { roles: roles[who] }, permission, unit)).allowed).toBe(allowed);
    });
  });

  describe("/moi and /xacthuc", () => {
    it("refuses citizens and officers politely", async () => {
      expect(await text("/moi canbo 19288", "citizen1")).toMatch(/không có quyền/);
      expect(await text("/moi canbo 19288", "off19288")).toMatch(/không có quyền/);
    });

    it("refuses a supervisor outside their subtree and above their role", async () => {
      expect(await text("/moi canbo 30307", "sup44")).toMatch(/không có quyền/);
      expect(await text("/moi canbo long xuyen", "sup44")).toMatch(/không có quyền/);
      expect(await text("/moi quantri 19288", "sup44")).toMatch(/không cao hơn vai trò/);
    });

    it("lets a supervisor invite an officer of a commune below, by name, once", async () => {
      const reply = await text("/moi canbo xa sen ngu", "sup44");
      const code = /([0-9A-Z]{5}-[0-9A-Z]{5})/.exec(reply)?.[1];
      expect(code, reply).toBeDefined();
      expect(reply).toMatch(/Xã Sen Ngư/);
      expect(await text(`/xacthuc ${code!.toLowerCase().replace("-", " ")}`, "newofficer")).toMatch(/Xác thực thành công.*cán bộ của Xã Sen Ngư/);
      expect(await text("/quyen", "newofficer")).toMatch(/cán bộ: Xã Sen Ngư \(19288\)/);
      expect(await text(`/xacthuc ${code}`, "someone-else")).toMatch(/đã được dùng/);
      const audit = await bot.db.prisma.auditLog.findMany({ where: { action: { in: ["invite.create", "role.grant"] }, unitCode: "19288" } });
      expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(["invite.create", "role.grant"]));
      // The code itself is never stored in the conversation log.
      const logged = await bot.db.prisma.conversationMessage.findMany({ where: { text: { contains: code!.slice(0, 5) } } });
      expect(logged).toHaveLength(0);
    });

    it("rejects an expired code", async () => {
      const { createInvite } = await import("../../src/features/access/service.ts");
      const old = await createInvite(bot.db.prisma, { role: "OFFICER", unitCode: "19249", by: op, now: new Date(Date.now() - 73 * 3600_000) });
      expect(await text(`/xacthuc ${old.code}`, "late-officer")).toMatch(/hết hạn/);
    });

    it("stops guessing after 5 wrong codes, even with the right one", async () => {
      const { createInvite } = await import("../../src/features/access/service.ts");
      const real = await createInvite(bot.db.prisma, { role: "OFFICER", unitCode: "19249", by: op });
      for (let i = 0; i < 5; i++) expect(await text(`/xacthuc AAAAA-0000${i}`, "guesser")).toMatch(/Mã không đúng/);
      expect(await text(`/xacthuc ${real.code}`, "guesser")).toMatch(/sai nhiều lần.*60 phút/);
      expect(await text("/quyen", "guesser")).toMatch(/người dân/);
      // Another person is not affected by the guesser's failures.
      expect(await text(`/xacthuc ${real.code}`, "honest")).toMatch(/Xác thực thành công/);
    });
  });

  describe("/nhatky", () => {
    it("is for admins only", async () => {
      expect(await text("/nhatky", "citizen1")).toMatch(/không có quyền/);
      expect(await text("/nhatky", "off19288")).toMatch(/không có quyền/);
      expect(await text("/nhatky", "sup44")).toMatch(/không có quyền/);
      expect(await text("/nhatky", "admin")).toMatch(/invite\.create/);
    });
  });

  describe("/lienket", () => {
    it("links a Zalo account to the same person as a Telegram account, roles included", async () => {
      const p = bot.db.prisma;
      await grantRole(p, { personId: await personForAccount(p, "telegram", "tg-officer"), role: "OFFICER", unitCode: "30307", by: op });
      const reply = await text("/lienket", "tg-officer", "telegram");
      const code = /([0-9A-Z]{5}-[0-9A-Z]{5})/.exec(reply)![1]!;
      await text("/start", "zl-officer", "zalo");
      expect(await text(`/lienket ${code}`, "zl-officer", "zalo")).toMatch(/Đã liên kết/);
      const ids = await p.channelIdentity.findMany({ where: { externalUserId: { in: ["tg-officer", "zl-officer"] } } });
      expect(new Set(ids.map((i) => i.personId)).size).toBe(1);
      expect(await text("/quyen", "zl-officer", "zalo")).toMatch(/Phường Long Xuyên/);
      expect(await text(`/lienket ${code}`, "zl-other", "zalo")).toMatch(/không đúng hoặc đã hết hạn/);
    });
  });

  describe("/xoadulieu", () => {
    it("erases a citizen's conversations and subscriptions after confirmation", async () => {
      const p = bot.db.prisma;
      await text("toi muon hoi ve cccd", "forget-me");
      const identity = await p.channelIdentity.findFirstOrThrow({ where: { externalUserId: "forget-me" } });
      await p.subscription.create({ data: { identityId: identity.id, unitCode: "19288", source: "QR" } });
      const ask = await bot.say("/xoadulieu", "forget-me");
      expect(ask.replies[0]!.buttons?.flat().map((b) => b.payload)).toEqual(["erase:yes", "erase:no"]);
      expect((await bot.press("erase:no", "forget-me")).replies[0]!.text).toMatch(/không xóa gì/);
      expect(await p.conversationMessage.count({ where: { personId: identity.personId } })).toBeGreaterThan(0);
      expect((await bot.press("erase:yes", "forget-me")).replies[0]!.text).toMatch(/Đã xóa \d+ tin nhắn và 1 đăng ký/);
      expect(await p.conversationMessage.count({ where: { personId: identity.personId } })).toBe(0);
      expect(await p.subscription.count({ where: { identityId: identity.id } })).toBe(0);
    });
  });

  describe("retention", () => {
    it("purges conversation records older than the retention period only", async () => {
      const p = bot.db.prisma;
      const identity = await p.channelIdentity.findFirstOrThrow({ where: { externalUserId: "citizen1" } });
      const old = new Date(Date.now() - 91 * 86_400_000);
      await p.conversationMessage.create({ data: { personId: identity.personId, identityId: identity.id, direction: "IN", text: "old", createdAt: old } });
      const before = await p.conversationMessage.count();
      expect(await purgeConversations(p, 90)).toBe(1);
      expect(await p.conversationMessage.count()).toBe(before - 1);
      expect(await p.conversationMessage.count({ where: { text: "old" } })).toBe(0);
    });
  });
});
