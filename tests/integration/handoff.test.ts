// Human handoff end to end: a citizen on Zalo asks, an officer on Telegram answers, through the outbox.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantRole, personForAccount } from "../../src/features/access/service.ts";
import { HANDOFF_QUEUE, startHandoff } from "../../src/features/handoff.ts";
import { waitFor } from "../helpers/fake-channel.ts";
import { createLiveCore, type LiveCore } from "../helpers/live-core.ts";
import { importUnitGroups, parseUnitGroupsCsv, setGroupLead } from "../../src/features/unit-groups.ts";
import { seedCurrentUnits } from "../helpers/units.ts";

const op = { personId: null, label: "test" };

describe("human handoff", () => {
  let bot: LiveCore;
  const citizen = (text: string | undefined, payload?: string, userId = "zl-citizen") =>
    bot.send({ channel: "zalo", userId, text, payload });
  const lastTo = (channel: "telegram" | "zalo", chatId: string) =>
    [...bot.channels[channel].sent].reverse().find((s) => s.chatId === chatId);

  beforeAll(async () => {
    bot = await createLiveCore({
      start: (live) =>
        startHandoff({ queues: live.queues, prisma: live.db.prisma, outbox: live.outbox, config: live.services.config, log: live.services.log, messages: live.services.messages }),
    });
    const p = bot.db.prisma;
    await seedCurrentUnits(p);
    await grantRole(p, { personId: await personForAccount(p, "telegram", "tg-officer"), role: "OFFICER", unitCode: "19288", by: op });
    await grantRole(p, { personId: await personForAccount(p, "telegram", "tg-other"), role: "OFFICER", unitCode: "18880", by: op });
    await grantRole(p, { personId: await personForAccount(p, "telegram", "tg-province"), role: "SUPERVISOR", unitCode: "44", by: op });
    // Quảng Trị keeps a team for the communes of the former Lệ Thủy: Sen Ngư's questions escalate to it.
    expect((await importUnitGroups(p, parseUnitGroupsCsv("group_code,group_name,unit_code\nLT,Cụm Lệ Thủy,19288\nLT,Cụm Lệ Thủy,19249\n"))).errors).toEqual([]);
    await setGroupLead(p, { groupCode: "LT", personId: await personForAccount(p, "telegram", "tg-cum"), by: "test" });
  });
  afterAll(() => bot.close());

  it("asks for the commune, then the question, hides numbers on request, and forwards to the commune's officer", async () => {
    expect((await citizen(undefined, "handoff:start")).replies[0]!.text).toMatch(/xã, phường nào/);
    expect((await citizen("sen ngu")).replies[0]!.text).toMatch(/gõ câu hỏi để gửi cán bộ Xã Sen Ngư/);
    const confirm = await citizen("toi doi sdt 0912345678 roi ko nhan dc ma kich hoat");
    expect(confirm.replies[0]!.text).toMatch(/Ẩn số.*\[số điện thoại\]/s);
    const sent = await citizen(undefined, "handoff:pii:hide");
    expect(sent.replies[0]!.text).toMatch(/Đã gửi câu hỏi số (\d+) tới cán bộ Xã Sen Ngư/);
    await waitFor(() => !!lastTo("telegram", "tg-officer"), 5000, "forward to officer");
    const forwarded = lastTo("telegram", "tg-officer")!.replies[0]!.text;
    expect(forwarded).toMatch(/\[số điện thoại\] roi ko nhan dc ma kich hoat/);
    expect(forwarded).not.toMatch(/0912345678/);
    expect(lastTo("telegram", "tg-other")).toBeUndefined();
  });

  it("relays an officer's reply to the forwarded message back to the citizen on Zalo", async () => {
    const ticket = await bot.db.prisma.handoffTicket.findFirstOrThrow({ orderBy: { id: "desc" } });
    // The outbox records where the forwarded copy landed once the platform accepted it.
    await waitFor(async () => (await bot.db.prisma.handoffMessage.count({ where: { ticketId: ticket.id, forwardRef: { not: null } } })) > 0, 5000, "forward ref");
    const forward = await bot.db.prisma.handoffMessage.findFirstOrThrow({ where: { ticketId: ticket.id, forwardRef: { not: null } } });
    const answer = await bot.send({ channel: "telegram", userId: "tg-officer", text: "Bạn ra Công an xã mang theo thẻ căn cước nhé", replyToRef: forward.forwardRef! });
    expect(answer.replies[0]!.text).toMatch(new RegExp(`Đã chuyển câu trả lời tới người dân \\(câu hỏi số ${ticket.id}\\)`));
    await waitFor(() => !!lastTo("zalo", "zl-citizen")?.replies[0]?.text.includes("mang theo thẻ căn cước"), 5000, "answer to citizen");
    expect(lastTo("zalo", "zl-citizen")!.replies[0]!.text).toMatch(/Cán bộ Xã Sen Ngư trả lời câu hỏi số/);
    expect((await bot.db.prisma.handoffTicket.findUniqueOrThrow({ where: { id: ticket.id } })).status).toBe("ANSWERED");
  });

  it("refuses answers and closing from an officer of another commune and from citizens, without telling which tickets exist", async () => {
    const ticket = await bot.db.prisma.handoffTicket.findFirstOrThrow({ orderBy: { id: "desc" } });
    const missing = ticket.id + 1000;
    const other = async (text: string) => (await bot.send({ channel: "telegram", userId: "tg-other", text })).replies[0]!.text;
    // Another commune's officer: the existing ticket answers exactly like a missing one.
    expect(await other(`/traloi ${ticket.id} xin chào`)).toBe(await other(`/traloi ${missing} xin chào`).then((t) => t.replace(String(missing), String(ticket.id))));
    expect(await other(`/traloi ${ticket.id} xin chào`)).toMatch(/Không tìm thấy câu hỏi số/);
    expect(await other(`/dong ${ticket.id}`)).toMatch(/Không tìm thấy câu hỏi số/);
    // A citizen is refused whatever the number.
    const byCitizen = (await citizen(`/traloi ${ticket.id} tu tra loi`)).replies[0]!.text;
    expect(byCitizen).toMatch(/không có quyền/);
    expect((await citizen(`/traloi ${missing} tu tra loi`)).replies[0]!.text).toBe(byCitizen);
    expect((await citizen(`/dong ${missing}`)).replies[0]!.text).toBe((await citizen(`/dong ${ticket.id}`)).replies[0]!.text);
    expect((await bot.db.prisma.handoffTicket.findUniqueOrThrow({ where: { id: ticket.id } })).status).not.toBe("CLOSED");
    // The province working group may answer.
    expect((await bot.send({ channel: "telegram", userId: "tg-province", text: `/traloi ${ticket.id} Tỉnh bổ sung: mang theo giấy hẹn nếu có` })).replies[0]!.text).toMatch(/Đã chuyển/);
  });

  it("closes a ticket on /dong and tells the citizen", async () => {
    const ticket = await bot.db.prisma.handoffTicket.findFirstOrThrow({ orderBy: { id: "desc" } });
    expect((await bot.send({ channel: "telegram", userId: "tg-officer", text: `/dong ${ticket.id}` })).replies[0]!.text).toMatch(/Đã đóng câu hỏi số/);
    await waitFor(() => !!lastTo("zalo", "zl-citizen")?.replies[0]?.text.includes("đã được cán bộ đóng"), 5000, "closed notice");
    expect((await bot.db.prisma.handoffTicket.findUniqueOrThrow({ where: { id: ticket.id } })).status).toBe("CLOSED");
  });

  it("sends questions to an officer group once one is bound, and escalates unanswered ones to the group of communes' team", async () => {
    expect((await bot.send({ channel: "telegram", userId: "tg-officer", chatId: "-100123", isGroup: true, text: "/nhomcanbo" })).replies[0]!.text).toMatch(/Nhóm này sẽ nhận câu hỏi của người dân Xã Sen Ngư/);
    expect((await bot.send({ channel: "telegram", userId: "tg-other", chatId: "-100999", isGroup: true, text: "/nhomcanbo sen ngu" })).replies[0]!.text).toMatch(/không có quyền/);
    // A second citizen already subscribed to the commune goes straight to the question.
    const identity = await bot.db.prisma.channelIdentity.findFirstOrThrow({ where: { externalUserId: "zl-citizen" } });
    await bot.db.prisma.subscription.upsert({ where: { identityId: identity.id }, create: { identityId: identity.id, unitCode: "19288", source: "QR" }, update: {} });
    const reply = await citizen("/hoicanbo xin hỏi lịch làm căn cước thứ 7");
    const id = Number(/câu hỏi số (\d+)/.exec(reply.replies[0]!.text)![1]);
    await waitFor(() => !!lastTo("telegram", "-100123")?.replies[0]?.text.includes(`số ${id}`), 5000, "group forward");
    expect(lastTo("telegram", "tg-officer")?.replies[0]?.text ?? "").not.toMatch(new RegExp(`số ${id} `));

    // Nobody answers: bring the escalation job forward instead of waiting 4 working hours.
    const job = await bot.queues.queue(HANDOFF_QUEUE).getJob(`esc-${id}`);
    expect(job).toBeDefined();
    expect(job!.opts.delay).toBeGreaterThan(0);
    await job!.promote();
    await waitFor(async () => (await bot.db.prisma.handoffTicket.findUniqueOrThrow({ where: { id } })).status === "ESCALATED", 5000, "escalation");
    await waitFor(() => !!lastTo("telegram", "tg-cum")?.replies[0]?.text.includes("chưa được trả lời"), 5000, "group notice");
    // The province working group is not asked while the group's team can be.
    expect(lastTo("telegram", "tg-province")?.replies[0]?.text ?? "").not.toContain("chưa được trả lời");
  });

  it("an old commune named as the citizen's commune is noted, and the question goes to its successor", async () => {
    const p = bot.db.prisma;
    await p.adminUnit.create({
      data: { code: "19312-20250630", officialCode: "19312", name: "Xã Sen Thủy", nameFolded: "xa sen thuy", level: "COMMUNE", path: "/19312-20250630/", validTo: new Date("2025-06-30T00:00:00Z"), formerContext: "Huyện Lệ Thủy, Tỉnh Quảng Bình" },
    });
    await p.unitSuccession.create({ data: { predecessorCode: "19312-20250630", successorCode: "19288", kind: "WHOLE", effectiveDate: new Date("2025-07-01T00:00:00Z"), legalBasis: "test", source: "test" } });
    expect((await citizen(undefined, "handoff:start", "zl-old")).replies[0]!.text).toMatch(/xã, phường nào/);
    const reply = (await citizen("xa sen thuy", undefined, "zl-old")).replies[0]!.text;
    expect(reply).toMatch(/^Xã Sen Thủy \(huyện Lệ Thủy, Quảng Bình\) nay là Xã Sen Ngư, tỉnh Quảng Trị\.\n/);
    expect(reply).toMatch(/gõ câu hỏi để gửi cán bộ Xã Sen Ngư/);
  });

  it("says clearly when nobody can receive questions for a commune", async () => {
    await bot.db.prisma.roleAssignment.updateMany({ data: { revokedAt: new Date() } });
    await bot.db.prisma.officerGroup.deleteMany();
    const reply = await citizen("/hoicanbo cho hỏi", undefined, "zl-lonely");
    expect(reply.replies[0]!.text).toMatch(/xã, phường nào/);
    expect((await citizen("dong hoi", undefined, "zl-lonely")).replies[0]!.text).toMatch(/Phường Đồng Hới/);
    expect((await citizen("có ai không", undefined, "zl-lonely")).replies[0]!.text).toMatch(/chưa có cán bộ Phường Đồng Hới trực/);
  });
});
