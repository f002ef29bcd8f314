// /thongbao end to end, through the real pipeline, outbox and fan-out worker (real Redis, in-process fake
// channels): permission, the guided preview/confirm/cancel dialogue, delivery with 403/429/5xx from the
// platform, the supervisor's summary, scheduling then cancelling, opt-out.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { zonedParts } from "../../src/core/time.ts";
import { outboxQueueName } from "../../src/outbox/outbox.ts";
import { BROADCAST_QUEUE } from "../../src/features/broadcast/service.ts";
import { waitFor } from "../helpers/fake-channel.ts";
import { citizen, createBroadcastHarness, seedUnits, staff, type BroadcastHarness } from "../helpers/broadcast-harness.ts";

const TZ = "Asia/Ho_Chi_Minh";
const REFUSED = /không có quyền/;

async function waitForStatus(h: BroadcastHarness, id: number, status: string, timeoutMs = 15_000) {
  await waitFor(async () => (await h.prisma.broadcast.findUniqueOrThrow({ where: { id } })).status === status, timeoutMs, `broadcast ${id} ${status}`);
}

describe("/thongbao", () => {
  let h: BroadcastHarness;
  const sup = (text: string) => h.say("telegram", "tg-sup", text);
  const press = (payload: string, user = "tg-sup") => h.press("telegram", user, payload);
  const payloadOf = (payloads: string[], action: string) => payloads.find((p) => p.startsWith(`tb:${action}:`))!;
  const citizensOf450 = ["tg-c1", "tg-c2", "tg-c3", "tg-blocked", "tg-slow", "tg-flaky", "zl-c1", "zl-c2"];

  beforeAll(async () => {
    h = await createBroadcastHarness();
    const p = h.prisma;
    await seedUnits(p);
    for (const [i, user] of citizensOf450.entries()) {
      await citizen(p, user.startsWith("zl") ? "zalo" : "telegram", user, i % 2 ? "19124" : "19123");
    }
    await citizen(p, "telegram", "tg-far", "19200");
    await staff(p, "telegram", "tg-sup", "SUPERVISOR", "450");
    await staff(p, "telegram", "tg-sup451", "SUPERVISOR", "451");
    await staff(p, "zalo", "zl-officer", "OFFICER", "19123");
    h.channels.telegram.behave("tg-blocked", "blocked");
    h.channels.telegram.behave("tg-slow", { rateLimitedFor: 1 });
    h.channels.telegram.behave("tg-flaky", { failTimes: 1 });
  });
  afterAll(() => h?.close());

  it("refuses officers and citizens", async () => {
    expect(await h.say("zalo", "zl-officer", "/thongbao")).toMatch(REFUSED);
    expect(await h.say("telegram", "tg-c1", "/thongbao Họp dân tối nay")).toMatch(REFUSED);
    expect(await h.say("telegram", "tg-c1", "/thongbao trangthai 1")).toMatch(REFUSED);
    expect((await press("tb:a:abcdef:B", "tg-c1")).text).toMatch(REFUSED);
    expect(await h.prisma.broadcast.count()).toBe(0);
  });

  it("keeps a supervisor inside their own subtree", async () => {
    const preview = await h.press("telegram", "tg-sup451", "tb:noop");
    expect(preview.text).toMatch(/Không có thông báo nào đang soạn/);
    const first = await h.send({ channel: "telegram", userId: "tg-sup451", text: "/thongbao Lịch tiếp dân" });
    expect(first.replies[0]!.text).toMatch(/Huyện Quảng Ninh/);
    const payloads = first.replies.flatMap((r) => (r.buttons ?? []).flat().map((b) => b.payload));
    const draftId = payloadOf(payloads, "u").split(":")[2]!;
    await h.press("telegram", "tg-sup451", `tb:u:${draftId}`);
    expect(await h.say("telegram", "tg-sup451", "Lệ Thủy")).toMatch(/Không tìm thấy đơn vị "Lệ Thủy" trong phạm vi/);
    // A forged button cannot point the draft at a unit outside the subtree either.
    expect((await h.press("telegram", "tg-sup451", `tb:un:${draftId}:450`)).text).toMatch(REFUSED);
    await h.press("telegram", "tg-sup451", `tb:x:${draftId}`);
  });

  let sentId = 0;

  it("guides the supervisor: text, preview with counts, audience buttons, stale preview, confirm", async () => {
    expect(await sup("/thongbao")).toMatch(/gõ nội dung thông báo/);
    const text = "Chủ nhật này Công an xã làm thủ tục cấp thẻ căn cước tại nhà văn hóa thôn, từ 7h30.";
    const { replies } = await h.send({ channel: "telegram", userId: "tg-sup", text });
    const preview = replies[0]!.text;
    expect(preview).toContain(text);
    expect(preview).toMatch(/Gửi tới: người dân đã đăng ký nhận thông báo của Huyện Lệ Thủy/);
    expect(preview).toMatch(/Số người nhận: 8 \(Telegram 6 · Zalo 2 · trang web 0\)/);
    expect(preview).toMatch(/Gõ \/huy để ngừng nhận/);
    const payloads = replies.flatMap((r) => (r.buttons ?? []).flat().map((b) => b.payload));
    const staleOk = payloadOf(payloads, "ok");
    // Switch to citizens and officers: the count follows.
    const both = await press(payloadOf(payloads, "a").replace(/:C$/, ":B"));
    // The district's own supervisor is one of its officers.
    expect(both.text).toMatch(/Số người nhận: 10 \(Telegram 7 · Zalo 3 · trang web 0\)/);
    // The button of the older preview does not send: the supervisor must confirm what they last saw.
    const stale = await press(staleOk);
    expect(stale.text).toMatch(/Bản xem trước đó đã cũ/);
    expect(await h.prisma.broadcast.count()).toBe(0);
    const done = await press(payloadOf(stale.payloads, "ok"));
    const id = Number(/thông báo số (\d+) tới 10 người/.exec(done.text)?.[1]);
    expect(id).toBeGreaterThan(0);
    sentId = id;
    expect(await h.prisma.auditLog.count({ where: { action: "broadcast.send", actorLabel: "telegram:tg-sup" } })).toBe(1);
  });

  it("delivers once to everyone, handles 403, 429 and 5xx, and reports to the supervisor", async () => {
    await waitForStatus(h, sentId, "DONE", 20_000);
    const deliveries = await h.prisma.broadcastDelivery.findMany({ where: { broadcastId: sentId }, include: { identity: true } });
    const status = Object.fromEntries(deliveries.map((d) => [d.identity.externalUserId, d.status]));
    expect(status).toEqual({
      "tg-c1": "SENT", "tg-c2": "SENT", "tg-c3": "SENT", "tg-slow": "SENT", "tg-flaky": "SENT", "zl-c1": "SENT", "zl-c2": "SENT",
      "zl-officer": "SENT", "tg-sup": "SENT", "tg-blocked": "UNREACHABLE",
    });
    const sentTo = (channel: "telegram" | "zalo", chat: string) =>
      h.channels[channel].sent.filter((s) => s.chatId === chat && s.replies[0]!.text.includes("Chủ nhật này")).length;
    for (const user of [...citizensOf450.filter((u) => u !== "tg-blocked"), "zl-officer", "tg-sup"]) {
      expect(sentTo(user.startsWith("zl") ? "zalo" : "telegram", user), user).toBe(1);
    }
    expect(sentTo("telegram", "tg-blocked")).toBe(0);
    expect(sentTo("telegram", "tg-far")).toBe(0);
    expect(h.channels.telegram.rateLimitedAt).toBeGreaterThan(0);
    // Citizens get the opt-out hint; officers do not.
    expect(h.channels.zalo.sent.find((s) => s.chatId === "zl-officer")!.replies[0]!.text).not.toMatch(/\/huy/);
    expect(h.channels.zalo.sent.find((s) => s.chatId === "zl-c1")!.replies[0]!.text).toMatch(/\/huy/);
    // The blocked user is now known unreachable.
    expect((await h.prisma.channelIdentity.findFirstOrThrow({ where: { externalUserId: "tg-blocked" } })).unreachableAt).not.toBeNull();
    await waitFor(() => h.channels.telegram.sent.some((s) => s.chatId === "tg-sup" && s.replies[0]!.text.includes(`Báo cáo thông báo số ${sentId}`)), 10_000, "summary");
    const summary = h.channels.telegram.sent.find((s) => s.chatId === "tg-sup" && s.replies[0]!.text.startsWith("Báo cáo"))!.replies[0]!.text;
    expect(summary).toMatch(/Người nhận: 10\nĐã gửi: 9/);
    expect(summary).toMatch(/Không liên lạc được \(đã chặn hoặc rời bot\): 1/);
    const progress = await sup(`/thongbao trangthai ${sentId}`);
    expect(progress).toMatch(/đã gửi xong/);
    expect(progress).toMatch(/Đã gửi: 9 · Chờ gửi: 0 · Không liên lạc được: 1 · Lỗi: 0/);
    // Another district's supervisor can neither see nor stop it.
    expect(await h.say("telegram", "tg-sup451", `/thongbao trangthai ${sentId}`)).toMatch(REFUSED);
    expect(await h.say("telegram", "tg-sup451", `/thongbao huy ${sentId}`)).toMatch(REFUSED);
    expect(await sup(`/thongbao huy ${sentId}`)).toMatch(/đã gửi xong, không dừng được nữa/);
  });

  it("drops a draft on cancel: nothing is created, its buttons no longer work", async () => {
    const before = await h.prisma.broadcast.count();
    const first = await h.send({ channel: "telegram", userId: "tg-sup", text: "/thongbao Nội dung thử" });
    const payloads = first.replies.flatMap((r) => (r.buttons ?? []).flat().map((b) => b.payload));
    expect((await press(payloadOf(payloads, "x"))).text).toMatch(/Đã bỏ thông báo đang soạn/);
    expect((await press(payloadOf(payloads, "ok"))).text).toMatch(/Không có thông báo nào đang soạn/);
    expect(await h.prisma.broadcast.count()).toBe(before);
  });

  it("schedules, shows the schedule, then cancels before anything is sent", async () => {
    const day = zonedParts(new Date(Date.now() + 2 * 86_400_000), TZ);
    const when = `${String(day.day).padStart(2, "0")}/${String(day.month).padStart(2, "0")}`;
    expect(await sup(`/thongbao hen ${when} 08:00`)).toMatch(new RegExp(`Sẽ gửi lúc 08:00 ${when}`));
    const { replies } = await h.send({ channel: "telegram", userId: "tg-sup", text: "Thông báo lịch cấp căn cước lưu động" });
    expect(replies[0]!.text).toMatch(new RegExp(`Thời điểm gửi: 08:00 ${when}`));
    const ok = payloadOf(replies.flatMap((r) => (r.buttons ?? []).flat().map((b) => b.payload)), "ok");
    const scheduled = await press(ok);
    const id = Number(/Đã hẹn gửi thông báo số (\d+) lúc 08:00/.exec(scheduled.text)?.[1]);
    expect(id).toBeGreaterThan(0);
    const job = await h.queues.queue(BROADCAST_QUEUE).getJob(`expand-${id}`);
    expect(await job!.getState()).toBe("delayed");
    expect(await sup(`/thongbao trangthai ${id}`)).toMatch(/đã hẹn giờ[\s\S]*Sẽ bắt đầu gửi lúc 08:00/);
    expect(await sup(`/thongbao huy ${id}`)).toMatch(new RegExp(`Đã dừng thông báo số ${id}: hủy 0 tin`));
    expect(await h.queues.queue(BROADCAST_QUEUE).getJob(`expand-${id}`)).toBeUndefined();
    const b = await h.prisma.broadcast.findUniqueOrThrow({ where: { id } });
    expect(b.status).toBe("CANCELLED");
    expect(b.cancelledBy).toBe("telegram:tg-sup");
    expect(await h.prisma.broadcastDelivery.count({ where: { broadcastId: id } })).toBe(0);
    expect(await h.prisma.auditLog.count({ where: { action: "broadcast.cancel", actorLabel: "telegram:tg-sup" } })).toBe(1);
    expect(await sup(`/thongbao huy ${id}`)).toMatch(/đã dừng, không dừng được nữa/);
  });

  it("refuses times in the past, too far ahead, or unreadable", async () => {
    expect(await sup("/thongbao hen 01/01/2020 08:00")).toMatch(/đã qua/);
    expect(await sup("/thongbao hen 31/02 08:00")).toMatch(/chưa hiểu thời điểm/);
    const far = zonedParts(new Date(Date.now() + 90 * 86_400_000), TZ);
    expect(await sup(`/thongbao hen ${far.day}/${far.month}/${far.year} 08:00`)).toMatch(/trong vòng 60 ngày/);
    await sup("/thongbao huy");
  });

  it("respects a citizen's /huy, and /tieptuc brings them back", async () => {
    expect(await h.say("telegram", "tg-c2", "/huy")).toMatch(/ngừng nhận thông báo/);
    const preview = await sup("/thongbao Họp dân");
    expect(preview).toMatch(/Số người nhận: 6 \(Telegram 4 · Zalo 2 · trang web 0\)/); // tg-blocked is unreachable now, tg-c2 opted out
    await h.say("telegram", "tg-c2", "/tieptuc");
    expect(await sup("/thongbao Họp dân")).toMatch(/Số người nhận: 7 \(Telegram 5 · Zalo 2 · trang web 0\)/);
    await sup("/thongbao huy");
  });
});

describe("/thongbao huy while sending", () => {
  let h: BroadcastHarness;
  beforeAll(async () => {
    h = await createBroadcastHarness({ perSecond: 4 });
    await seedUnits(h.prisma);
    for (let i = 0; i < 24; i++) await citizen(h.prisma, "telegram", `tg-${i}`, "19123");
    await staff(h.prisma, "telegram", "tg-sup", "SUPERVISOR", "450");
  });
  afterAll(() => h?.close());

  it("stops at once: queued messages are taken off the queue, nothing more goes out", async () => {
    const first = await h.send({ channel: "telegram", userId: "tg-sup", text: "/thongbao Mất điện từ 8h đến 11h" });
    const ok = first.replies.flatMap((r) => (r.buttons ?? []).flat().map((b) => b.payload)).find((p) => p.startsWith("tb:ok:"))!;
    const started = await h.press("telegram", "tg-sup", ok);
    const id = Number(/thông báo số (\d+)/.exec(started.text)?.[1]);
    const ofBroadcast = () => h.channels.telegram.sent.filter((s) => s.replies[0]!.text.includes("Mất điện")).length;
    await waitFor(() => ofBroadcast() >= 3, 10_000, "first messages");
    const stopped = await h.say("telegram", "tg-sup", `/thongbao huy ${id}`);
    expect(stopped).toMatch(new RegExp(`Đã dừng thông báo số ${id}`));
    const atCancel = ofBroadcast();
    await new Promise((r) => setTimeout(r, 2500));
    // At most the sends already under way when the cancel came (the channel's concurrency) still finish.
    expect(ofBroadcast() - atCancel).toBeLessThanOrEqual(4);
    const queue = h.queues.queue(outboxQueueName("telegram"));
    const queued = async () => Object.values(await queue.getJobCounts("wait", "prioritized", "delayed")).reduce((a, b) => a + b, 0);
    await waitFor(async () => (await queued()) === 0, 5000, "queue emptied");
    const counts = await h.prisma.broadcastDelivery.groupBy({ by: ["status"], where: { broadcastId: id }, _count: true });
    const by = Object.fromEntries(counts.map((c) => [c.status, c._count]));
    expect(by.PENDING ?? 0).toBe(0);
    expect(by.SENT).toBe(ofBroadcast());
    // The fan-out (3 recipients a page here) stops at its next page, so the last pages may never get a row;
    // every row that exists is either sent or cancelled, and no row appears after the cancel.
    const rows = await h.prisma.broadcastDelivery.count({ where: { broadcastId: id } });
    expect(rows).toBeLessThanOrEqual(24);
    expect((by.SENT ?? 0) + (by.CANCELLED ?? 0)).toBe(rows);
    expect(24 - (by.SENT ?? 0)).toBeGreaterThan(10); // most of the audience was never messaged
    await new Promise((r) => setTimeout(r, 500));
    expect(await h.prisma.broadcastDelivery.count({ where: { broadcastId: id } })).toBe(rows);
    expect((await h.prisma.broadcast.findUniqueOrThrow({ where: { id } })).status).toBe("CANCELLED");
  });
});
