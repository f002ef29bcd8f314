// Reminders end to end: real Redis (its own database index), BullMQ, the real Outbox and an in-process
// FakeChannel; chat commands through the pipeline; short delays.
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { createCore, type Core } from "../../src/app.ts";
import { loadMessages } from "../../src/core/messages.ts";
import type { Database } from "../../src/db/client.ts";
import { escalateOverdue, remindReports } from "../../src/features/reminders/planner.ts";
import { startReminders } from "../../src/features/reminders/runtime.ts";
import { nextOccurrence, today } from "../../src/features/reminders/schedule.ts";
import { Reminders } from "../../src/features/reminders/service.ts";
import { createTask } from "../../src/features/tasks/service.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { Outbox } from "../../src/outbox/outbox.ts";
import { createQueueSet, type QueueSet } from "../../src/queue/queues.ts";
import { redisReady } from "../../src/queue/redis.ts";
import { testConfig } from "../helpers/config.ts";
import { openTestDatabase } from "../helpers/databases.ts";
import { FakeChannel, waitFor } from "../helpers/fake-channel.ts";
import { importUnitGroups, parseUnitGroupsCsv, setGroupLead } from "../../src/features/unit-groups.ts";
import { seedCurrentUnits } from "../helpers/units.ts";

const TZ = "Asia/Ho_Chi_Minh";
const log = createLogger("silent");
const messages = loadMessages();

function redisDb(index: number): string {
  const url = new URL(inject("redisUrl"));
  url.pathname = `/${index}`;
  return url.toString();
}

describe("reminders end to end", () => {
  let db: Database;
  let queues: QueueSet;
  let outbox: Outbox;
  let core: Core;
  let reminders: Reminders;
  const channel = new FakeChannel("telegram");
  const config = testConfig({ QUIET_HOURS_START: "00:00", QUIET_HOURS_END: "00:00" });
  const people: Record<string, number> = {};

  const say = (user: string, text: string) =>
    core.pipeline.handle({ channel: "telegram", userId: user, chatId: user, text, receivedAt: new Date() }).then((r) => r.replies.map((x) => x.text).join("\n"));
  const texts = (chatId: string) => channel.sent.filter((s) => s.chatId === chatId).map((s) => s.replies[0]!.text);

  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    await seedCurrentUnits(db.prisma);
    queues = createQueueSet(redisDb(3), log);
    await redisReady(queues.redis);
    await queues.redis.flushdb();
    // Two tiers: officers of Xã Sen Ngư and Xã Lệ Thủy, a blocked officer of Phường Đồng Hới, the province
    // working group of Quảng Trị (44); a group of communes "Cụm Lệ Thủy" (Sen Ngư, Lệ Thủy, Lệ Ninh) with
    // its own lead, and "Cụm Đồng Hới" with no lead yet.
    const staff: Array<[string, "OFFICER" | "SUPERVISOR", string]> = [
      ["offA", "OFFICER", "19288"],
      ["offB", "OFFICER", "19249"],
      ["offC", "OFFICER", "18880"],
      ["sup44", "SUPERVISOR", "44"],
    ];
    for (const [name, role, unitCode] of staff) {
      const person = await db.prisma.person.create({
        data: {
          displayName: name,
          identities: { create: { channel: "TELEGRAM", externalUserId: name, chatId: name } },
          roles: { create: { role, unitCode, grantedBy: "test" } },
        },
      });
      people[name] = person.id;
    }
    const lead = await db.prisma.person.create({
      data: { displayName: "lead", identities: { create: { channel: "TELEGRAM", externalUserId: "leadLT", chatId: "leadLT" } } },
    });
    people.leadLT = lead.id;
    const groups = await importUnitGroups(
      db.prisma,
      parseUnitGroupsCsv("ma_cum,ten_cum,ma_don_vi\nLT,Cụm Lệ Thủy,19288\nLT,Cụm Lệ Thủy,19249\nLT,Cụm Lệ Thủy,19246\nDH,Cụm Đồng Hới,18880\n"),
    );
    expect(groups.errors).toEqual([]);
    expect(await setGroupLead(db.prisma, { groupCode: "LT", personId: lead.id, by: "test" })).toBe("added");
    channel.behave("offC", "blocked");
    outbox = new Outbox({ queues, prisma: db.prisma, log, channels: new Map([["telegram", channel]]), rates: { telegram: { perSecond: 200 } }, attempts: 2, backoffMs: 50 });
    core = createCore({ config, db, log, outbox, queues });
    outbox.start();
    reminders = await startReminders({ queues, prisma: db.prisma, outbox, log, config, channels: new Map([["telegram", channel]]), messages, syncEveryMs: 0, catchUp: false });
  });

  afterAll(async () => {
    await queues?.close(2000);
    await db?.close();
  });

  it("delivers a personal reminder once at its time and records SENT", async () => {
    const dueAt = new Date(Date.now() + 700);
    const [row] = await reminders.createAndSchedule([{ jobKey: "rem-test-1", kind: "PERSONAL", personId: people.offA!, text: "⏰ Nhắc việc: gọi lại", dueAt, urgent: true }]);
    await reminders.schedule([row!]); // scheduling again is a no-op
    await waitFor(async () => (await db.prisma.reminder.findUniqueOrThrow({ where: { id: row!.id } })).status === "SENT", 10_000, "SENT");
    const sent = channel.sent.filter((s) => s.replies[0]!.text === "⏰ Nhắc việc: gọi lại");
    expect(sent).toHaveLength(1);
    expect(sent[0]!.at).toBeGreaterThanOrEqual(dueAt.getTime());
  });

  it("/nhac sets, lists and cancels personal reminders; a recurring one is a Job Scheduler", async () => {
    const reply = await say("offA", "/nhac sau 2 phút gọi lại cho anh Nam");
    expect(reply).toMatch(/Đã đặt lời nhắc #(\d+) lúc .*: gọi lại cho anh Nam/);
    const id = Number(/#(\d+)/.exec(reply)![1]);
    const job = await reminders.queue.getJob(`rem-${id}`);
    expect(await job!.getState()).toBe("delayed");

    const weekly = await say("offA", "/nhac thu 2 hang tuan 7h30 nop bao cao tuan");
    const weeklyId = Number(/#(\d+)/.exec(weekly)![1]);
    const monthly = await say("offA", "/nhac ngày 31 hằng tháng 16h chốt số liệu");
    const monthlyId = Number(/#(\d+)/.exec(monthly)![1]);
    expect(await say("offA", "/nhac mai 3h ký")).toMatch(/03:00 sáng hay 15:00 chiều/);
    // No task text: after 08:00 (Vietnam time) the hour has passed; before it, the bot asks what to remind.
    expect(await say("offA", "/nhac 8h")).toSatisfy((t: string) => /đã qua/.test(t) || /nhắc việc gì/.test(t));

    // BullMQ's own schedule agrees with ours (cron "L" = the last day of the month).
    const scheduler = await reminders.queue.getJobScheduler(`rem-${monthlyId}`);
    expect(scheduler!.next).toBe(nextOccurrence({ freq: "monthly", day: 31, hour: 16, minute: 0 }, new Date(), TZ).getTime());
    const weeklyNext = await reminders.nextRun(`rem-${weeklyId}`);
    expect(weeklyNext!.getTime()).toBe(nextOccurrence({ freq: "weekly", weekdays: [1], hour: 7, minute: 30 }, new Date(), TZ).getTime());

    const list = await say("offA", "/nhac");
    expect(list).toContain(`#${id}`);
    expect(list).toMatch(new RegExp(`#${weeklyId} 07:30 thứ 2 hằng tuần \\(lần tới`));
    expect(await say("offA", `/nhac huy ${id}`)).toContain(`Đã hủy lời nhắc #${id}`);
    expect(await reminders.queue.getJob(`rem-${id}`)).toBeUndefined();
    expect(await say("offA", `/nhac hủy ${weeklyId}`)).toContain("Đã hủy");
    expect(await reminders.queue.getJobScheduler(`rem-${weeklyId}`)).toBeUndefined();
    // Someone else's reminder cannot be cancelled.
    expect(await say("offB", `/nhac huy ${monthlyId}`)).toContain("Không có lời nhắc");
    // Citizens have no personal reminders.
    expect(await say("citizen1", "/nhac sau 5 phút gọi")).toMatch(/không có quyền/);
    await say("offA", `/nhac huy ${monthlyId}`);
  });

  it("/nhac stores the reminder text with numbers hidden", async () => {
    const reply = await say("offA", "/nhac sau 30 phút gọi 0912 345 678 hỏi hồ sơ CCCD 001203004567");
    const id = Number(/#(\d+)/.exec(reply)![1]);
    const row = await db.prisma.reminder.findUniqueOrThrow({ where: { id } });
    expect(row.text).toContain("gọi");
    expect(row.text.replace(/\D/g, "")).not.toMatch(/912345678|001203004567/);
    expect(reply.replace(/\D/g, "")).not.toContain("912345678");
    await say("offA", `/nhac huy ${id}`);
  });

  it("/nhac that cannot schedule (Redis away) says so and leaves no reminder to send", async () => {
    const before = await db.prisma.reminder.count({ where: { personId: people.offA!, status: "SCHEDULED" } });
    const once = vi.spyOn(Reminders.prototype, "schedule").mockRejectedValueOnce(new Error("Connection is closed."));
    const reply = await say("offA", "/nhac sau 10 phút nộp báo cáo");
    once.mockRestore();
    expect(reply).toMatch(/Chưa đặt được lời nhắc/);
    expect(await db.prisma.reminder.count({ where: { personId: people.offA!, status: "SCHEDULED" } })).toBe(before);
    const last = await db.prisma.reminder.findFirstOrThrow({ where: { personId: people.offA! }, orderBy: { id: "desc" } });
    expect(last.status).toBe("CANCELLED");
    expect(await reminders.queue.getJob(last.jobKey)).toBeUndefined();
  });

  it("a recurring reminder's occurrences are delivered once each", async () => {
    const template = await db.prisma.reminder.create({
      data: { jobKey: "rem-9001", kind: "PERSONAL", personId: people.offB!, text: "⏰ Nhắc việc: mỗi giây", dueAt: new Date(), recurrence: "* * * * * *", urgent: true },
    });
    await reminders.upsertRecurring(template);
    await waitFor(() => texts("offB").includes("⏰ Nhắc việc: mỗi giây"), 10_000, "an occurrence");
    await reminders.cancel({ id: template.id });
    await new Promise((r) => setTimeout(r, 1500));
    const occurrences = await db.prisma.reminder.findMany({ where: { jobKey: { startsWith: "rem-9001-" } } });
    // One row per occurrence minute, each sent once.
    expect(occurrences.length).toBeGreaterThanOrEqual(1);
    expect(texts("offB").filter((t) => t === "⏰ Nhắc việc: mỗi giây").length).toBe(occurrences.length);
    expect(await reminders.queue.getJobScheduler("rem-9001")).toBeUndefined();
  });

  it("plans task reminders, reschedules them when the deadline changes, removes them on completion", async () => {
    const now = new Date();
    const day = today(now, TZ);
    const due = new Date(Date.UTC(day.year, day.month - 1, day.day + 10));
    const dueText = `${due.getUTCDate()}/${due.getUTCMonth() + 1}/${due.getUTCFullYear()}`;
    expect(await say("offA", `/giaoviec 19288; ${dueText}; Thử`)).toMatch(/không có quyền/);
    const created = await say("sup44", `/giaoviec 19288, 19249; ${dueText}; Hoàn thành thu nhận hồ sơ căn cước; Kế hoạch 15/KH-UBND`);
    expect(created).toMatch(/Đã giao việc #(\d+)/);
    const taskId = Number(/#(\d+)/.exec(created)![1]);
    // Both officers are told at once.
    await waitFor(() => texts("offA").some((t) => t.includes("Việc mới được giao")) && texts("offB").some((t) => t.includes("Việc mới được giao")), 10_000, "assigned notices");
    const rows = await db.prisma.reminder.findMany({ where: { taskId, status: "SCHEDULED", NOT: { jobKey: { contains: ".new." } } }, orderBy: { jobKey: "asc" } });
    const offsets = rows.map((r) => r.jobKey.split(".")[3]).sort();
    expect(offsets).toEqual(["d0", "d0", "d1", "d1", "d3", "d3", "d7", "d7"]);
    for (const r of rows) expect(await (await reminders.queue.getJob(r.jobKey))!.getState()).toBe("delayed");

    expect(await say("offA", "/viec")).toContain(`#${taskId} Hoàn thành thu nhận hồ sơ căn cước`);
    expect(await say("offC", "/viec")).toContain("không có việc nào");

    // Edit: new deadline, new keys; old jobs gone; nothing duplicated on a second sync.
    const later = new Date(due.getTime() + 20 * 86_400_000);
    const changed = await say("sup44", `/doihan ${taskId} ${later.getUTCDate()}/${later.getUTCMonth() + 1}/${later.getUTCFullYear()}`);
    expect(changed).toContain("Đã đổi hạn");
    for (const r of rows) {
      expect((await db.prisma.reminder.findUniqueOrThrow({ where: { id: r.id } })).status).toBe("CANCELLED");
      expect(await reminders.queue.getJob(r.jobKey)).toBeUndefined();
    }
    const fresh = await db.prisma.reminder.findMany({ where: { taskId, status: "SCHEDULED", NOT: { jobKey: { contains: ".new." } } } });
    expect(fresh).toHaveLength(8);
    const laterKey = `${later.getUTCFullYear()}${String(later.getUTCMonth() + 1).padStart(2, "0")}${String(later.getUTCDate()).padStart(2, "0")}`;
    expect(fresh.every((r) => r.jobKey.includes(`.${laterKey}.`))).toBe(true);
    const delayedBefore = await reminders.queue.getDelayedCount();
    await reminders.sync();
    await reminders.sync();
    expect(await reminders.queue.getDelayedCount()).toBe(delayedBefore);

    // Completion: an officer outside the task's units may not; offA completes 19288's part.
    expect(await say("offC", `/xong ${taskId}`)).toMatch(/không có quyền/);
    expect(await say("offA", `/xong ${taskId} Đã ban hành kế hoạch`)).toContain("Còn 1 đơn vị chưa xong");
    const afterA = await db.prisma.reminder.findMany({ where: { taskId, status: "SCHEDULED" } });
    expect(afterA.every((r) => r.unitCode === "19249")).toBe(true);
    for (const r of fresh.filter((f) => f.unitCode === "19288")) expect(await reminders.queue.getJob(r.jobKey)).toBeUndefined();
    // The supervisor above completes the rest.
    expect(await say("sup44", `/xong ${taskId}`)).toContain("Việc đã xong ở mọi đơn vị");
    expect(await db.prisma.reminder.count({ where: { taskId, status: "SCHEDULED" } })).toBe(0);
    for (const r of fresh) expect(await reminders.queue.getJob(r.jobKey)).toBeUndefined();
    const task = await db.prisma.planTask.findUniqueOrThrow({ where: { id: taskId } });
    expect(task.status).toBe("DONE");
    const audits = await db.prisma.auditLog.findMany({ where: { action: { startsWith: "task." } } });
    expect(audits.map((a) => a.action)).toEqual(expect.arrayContaining(["task.create", "task.deadline", "task.complete"]));
  });

  it("escalates overdue tasks daily: commune → its group's team, else the province working group; once a day", async () => {
    const ctx = { prisma: db.prisma, settings: config, messages, reminders };
    const now = new Date();
    const d = today(now, TZ);
    const past = { year: d.year, month: d.month, day: d.day };
    const yesterday = new Date(Date.UTC(past.year, past.month - 1, past.day - 3));
    const deadline = { kind: "DATE" as const, dueDate: { year: yesterday.getUTCFullYear(), month: yesterday.getUTCMonth() + 1, day: yesterday.getUTCDate() }, cadence: null };
    const task = await createTask(ctx, { title: "Rà soát dữ liệu dân cư", deadline, unitCodes: ["19288", "18880"] }, { label: "test" });
    const sent = await escalateOverdue(db.prisma, reminders, messages, TZ, now);
    expect(sent).toBe(2);
    await waitFor(() => texts("leadLT").some((t) => t.includes("quá hạn")) && texts("sup44").some((t) => t.includes("quá hạn")), 10_000, "escalations");
    const toGroup = texts("leadLT").find((t) => t.includes("quá hạn"))!;
    expect(toGroup).toContain(`#${task.id} Rà soát dữ liệu dân cư — Xã Sen Ngư — quá hạn 3 ngày`);
    expect(toGroup).not.toContain("Đồng Hới");
    // Cụm Đồng Hới has no lead: Đồng Hới's part goes to the province working group, Sen Ngư's does not.
    const toProvince = texts("sup44").find((t) => t.includes("quá hạn"))!;
    expect(toProvince).toContain("Phường Đồng Hới");
    expect(toProvince).not.toContain("Sen Ngư");
    // Officers are not the recipients of escalations.
    expect(texts("offA").some((t) => t.includes("Việc quá hạn"))).toBe(false);
    // The same day again: nothing new.
    await escalateOverdue(db.prisma, reminders, messages, TZ, now);
    await new Promise((r) => setTimeout(r, 500));
    expect(texts("leadLT").filter((t) => t.includes("Việc quá hạn")).length).toBe(1);
  });

  it("report day: units without indicator values are reminded, supervisors get the missing list, the unreachable are recorded", async () => {
    const now = new Date();
    const d = today(now, TZ);
    const period = `${d.year}-${String(d.month).padStart(2, "0")}`;
    await db.prisma.indicator.create({ data: { code: "T_VNEID", name: "VNeID", group: "test", kind: "SHARE" } });
    await db.prisma.indicatorValue.create({
      data: { unitCode: "19249", indicatorCode: "T_VNEID", periodKind: "MONTH", period, periodEnd: new Date(Date.UTC(d.year, d.month, 0)), numerator: 1, source: "IMPORT", enteredBy: "test" },
    });
    const count = await remindReports(db.prisma, reminders, messages, { TZ, REPORT_DAY_OF_MONTH: d.day, REPORT_QUARTER_DAY: 0, REPORT_UNIT_LEVELS: "COMMUNE" }, now);
    expect(count).toBe(4); // offA, offC (blocked), leadLT, sup44
    await waitFor(async () => (await db.prisma.reminder.count({ where: { kind: "REPORT_DEADLINE", status: "SCHEDULED" } })) === 0, 10_000, "report outcomes");
    expect(texts("offA").some((t) => t.includes("chưa có số liệu") && t.includes("Xã Sen Ngư"))).toBe(true);
    expect(texts("offB").some((t) => t.includes("chưa có số liệu"))).toBe(false);
    // The group's lead gets the group's missing communes; the province working group all of them.
    const toGroup = texts("leadLT").find((t) => t.includes("đơn vị chưa có số liệu"))!;
    expect(toGroup).toMatch(/Sen Ngư[\s\S]*Lệ Ninh|Lệ Ninh[\s\S]*Sen Ngư/);
    expect(toGroup).not.toContain("Xã Lệ Thủy");
    expect(toGroup).not.toContain("Đồng Hới");
    const toProvince = texts("sup44").find((t) => t.includes("đơn vị chưa có số liệu"))!;
    for (const name of ["Xã Sen Ngư", "Xã Lệ Ninh", "Phường Đồng Hới"]) expect(toProvince).toContain(name);
    expect(toProvince).not.toContain("Xã Lệ Thủy");
    const blocked = await db.prisma.reminder.findFirstOrThrow({ where: { kind: "REPORT_DEADLINE", personId: people.offC! } });
    expect(blocked.status).toBe("UNREACHABLE");
    expect(blocked.lastError).toMatch(/blocked/);
  });

  it("a person with no channel is recorded UNREACHABLE, not dropped", async () => {
    const nobody = await db.prisma.person.create({ data: { displayName: "no channel" } });
    const [row] = await reminders.createAndSchedule([{ jobKey: "rem-test-nochannel", kind: "PERSONAL", personId: nobody.id, text: "x", dueAt: new Date(), urgent: true }]);
    await waitFor(async () => (await db.prisma.reminder.findUniqueOrThrow({ where: { id: row!.id } })).status === "UNREACHABLE", 10_000, "UNREACHABLE");
  });

  it("quiet hours hold non-urgent reminders until they end", async () => {
    const quiet = new Reminders({ prisma: db.prisma, queues, config: { TZ, QUIET_HOURS_START: "22:00", QUIET_HOURS_END: "06:00" }, log, outbox, queueName: "reminders-quiet" });
    const row = await db.prisma.reminder.create({ data: { jobKey: "t-quiet-1", kind: "BRIEFING", personId: people.offA!, text: "giao ban", dueAt: new Date() } });
    const lateEvening = new Date("2024-12-18T23:10:00+07:00");
    expect(await quiet.deliver(row, {}, lateEvening)).toBe("deferred");
    const job = await quiet.queue.getJob("t-quiet-1");
    expect(job!.opts.delay).toBe(new Date("2024-12-19T06:00:00+07:00").getTime() - lateEvening.getTime());
    // An urgent one goes now.
    const urgent = await db.prisma.reminder.create({ data: { jobKey: "t-quiet-2", kind: "PERSONAL", personId: people.offA!, text: "gấp", dueAt: new Date(), urgent: true } });
    expect(await quiet.deliver(urgent, {}, lateEvening)).toBe("queued");
    await quiet.queue.obliterate({ force: true });
  });

  it("re-creates every missing job from the database after Redis lost them", async () => {
    const future = new Date(Date.now() + 3_600_000);
    await reminders.createAndSchedule(
      Array.from({ length: 5 }, (_, i) => ({ jobKey: `rem-lost-${i}`, kind: "PERSONAL" as const, personId: people.offA!, text: `lost ${i}`, dueAt: future, urgent: true })),
    );
    for (let i = 0; i < 5; i++) await reminders.queue.remove(`rem-lost-${i}`);
    expect(await reminders.queue.getJob("rem-lost-0")).toBeUndefined();
    await reminders.sync();
    for (let i = 0; i < 5; i++) expect(await (await reminders.queue.getJob(`rem-lost-${i}`))!.getState()).toBe("delayed");
  });

  it("times each job from the moment it is added, so the last rows of a long re-sync are not late", async () => {
    const dueAt = new Date(Date.now() + 7_200_000);
    await db.prisma.reminder.createMany({
      data: Array.from({ length: 4000 }, (_, i) => ({ jobKey: `rem-many-${i}`, kind: "PERSONAL" as const, personId: people.offA!, text: `many ${i}`, dueAt, urgent: true })),
    });
    const started = Date.now();
    await reminders.sync();
    const took = Date.now() - started;
    // BullMQ runs a delayed job at (time added + delay). A delay computed once before all the adds would
    // put the last row late by most of `took`; computed per chunk, by at most one chunk's adds.
    const last = await reminders.queue.getJob("rem-many-3999");
    const drift = last!.timestamp + (last!.opts.delay ?? 0) - dueAt.getTime();
    expect(Math.abs(drift)).toBeLessThan(Math.max(50, took / 3));
    expect(await reminders.cancel({ jobKey: { startsWith: "rem-many-" } })).toBe(4000);
  }, 60_000);
});
