// «Câu hỏi chờ trả lời»: citizens' questions ("Hỏi cán bộ") of the units in the user's area, oldest first,
// each with the working time it has waited against HANDOFF_ESCALATE_AFTER_MINUTES; answer in the page
// (the answer reaches the citizen on their own channel through the outbox), close, or send it up. Thin
// over features/handoff.ts (answerTicket, closeTicket, escalateTicket), which the chat commands use too.
import type { FastifyInstance } from "fastify";
import { formatVietnamTime } from "../core/helpers.ts";
import { parsePeriods, workingMinutesBetween } from "../core/time.ts";
import { answerTicket, closeTicket, escalateTicket, type TicketActor, type TicketResult } from "../features/handoff.ts";
import { hasPermission, unitPaths } from "../security/policy.ts";
import { field, sendPage, signedIn, signedPost, type ConsoleContext, type Signed } from "./context.ts";
import { html, notice, postForm } from "./html.ts";

const MAX_ANSWER = 2000;

function actorOf(signed: Signed): TicketActor {
  return { personId: signed.user.personId, roles: signed.user.roles, label: signed.user.label };
}

function waited(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h ? `${h} giờ ${m} phút` : `${m} phút`;
}

const done: Record<string, string> = {
  answered: "Đã gửi câu trả lời tới người dân.",
  closed: "Đã đóng câu hỏi và báo cho người dân.",
  escalated: "Đã chuyển câu hỏi lên cấp trên.",
};
const failed: Record<TicketResult extends infer R ? (R extends { ok: false; reason: infer X } ? X & string : never) : never, string> = {
  not_found: "Không có câu hỏi này.",
  refused: "Câu hỏi này thuộc đơn vị ngoài phạm vi của bạn.",
  unavailable: "Chưa gửi được lúc này, xin thử lại sau.",
  not_open: "Câu hỏi này đã được trả lời, chuyển đi hoặc đóng, hoặc không còn cấp trên để chuyển.",
};

export function registerInbox(app: FastifyInstance, c: ConsoleContext): void {
  const schedule = { days: c.config.WORKING_DAYS.split(",").map(Number), periods: parsePeriods(c.config.WORKING_HOURS) };
  const limit = c.config.HANDOFF_ESCALATE_AFTER_MINUTES;

  app.get("/console/hop-thu", async (request, reply) => {
    const signed = await signedIn(c, request, reply);
    if (!signed) return reply;
    const grants = signed.user.roles.filter((r) => hasPermission(r.role, "handoff.answer"));
    const paths = [...(await unitPaths(c.prisma, grants.map((g) => g.unitCode))).values()];
    const tickets = paths.length
      ? await c.prisma.handoffTicket.findMany({
          where: { status: { in: ["OPEN", "ESCALATED", "ANSWERED"] }, unit: { OR: paths.map((p) => ({ path: { startsWith: p } })) } },
          include: { unit: { select: { name: true } }, messages: { orderBy: { id: "asc" } } },
          orderBy: { createdAt: "asc" },
          take: 200,
        })
      : [];
    const now = new Date();
    const tz = c.config.TZ;
    const q = request.query as Record<string, unknown>;
    const message = typeof q.da === "string" ? done[q.da] : typeof q.loi === "string" ? failed[q.loi as keyof typeof failed] : undefined;
    const waiting = tickets.filter((t) => t.status !== "ANSWERED");
    const answered = tickets.filter((t) => t.status === "ANSWERED");
    const card = (t: (typeof tickets)[number]) => {
      const minutes = workingMinutesBetween(t.createdAt, now, tz, schedule);
      const late = t.status !== "ANSWERED" && minutes >= limit;
      const answers = t.messages.filter((m) => m.direction === "OUT" && m.text !== "[chuyển tiếp]");
      const id = `cau-${t.id}`;
      return html`<section class="ticket${late ? " late" : ""}" aria-labelledby="${id}">
<h2 id="${id}">Câu hỏi số ${t.id} · ${t.unit.name}</h2>
<p>Gửi lúc ${formatVietnamTime(t.createdAt, tz)} · đã chờ <span class="${late ? "late" : ""}">${waited(minutes)} làm việc</span> (hạn ${waited(limit)})${late ? " · QUÁ HẠN" : ""}${t.status === "ESCALATED" ? " · đã chuyển lên cấp trên" : ""}</p>
<p class="quote">${t.question}</p>
${answers.map((a) => html`<p><strong>Đã trả lời (${formatVietnamTime(a.createdAt, tz)}):</strong></p><p class="quote">${a.text}</p>`)}
${postForm(`/console/hop-thu/${t.id}/tra-loi`, signed.csrf, html`<label for="tl-${t.id}">Trả lời câu hỏi số ${t.id}</label>
<textarea id="tl-${t.id}" name="text" maxlength="${MAX_ANSWER}" required></textarea>
<button type="submit">Gửi câu trả lời</button>`)}
<div class="actions">
${postForm(`/console/hop-thu/${t.id}/dong`, signed.csrf, html`<button type="submit" class="quiet">Đóng câu hỏi số ${t.id}</button>`, 'data-confirm="Đóng câu hỏi này?"')}
${t.status === "OPEN" ? postForm(`/console/hop-thu/${t.id}/chuyen`, signed.csrf, html`<button type="submit" class="quiet">Chuyển câu hỏi số ${t.id} lên cấp trên</button>`) : ""}
</div></section>`;
    };
    return sendPage(c, reply, {
      title: "Câu hỏi chờ trả lời",
      active: "inbox",
      signed,
      script: true,
      body: html`${message ? notice(typeof q.da === "string" ? "ok" : "error", message) : ""}
<p class="lead">Câu hỏi người dân gửi qua «Hỏi cán bộ», cũ nhất trước. Câu trả lời được gửi tới người dân trên kênh họ đã hỏi (Zalo, Telegram, trang web). Sau ${waited(limit)} làm việc chưa có trả lời, câu hỏi tự chuyển lên cấp trên.</p>
${waiting.length ? waiting.map(card) : notice("ok", "Không còn câu hỏi nào chờ trả lời.")}
${answered.length ? html`<h2>Đã trả lời, chưa đóng (${answered.length})</h2>${answered.map(card)}` : ""}`,
    });
  });

  const action = (path: string, run: (signed: Signed, id: number, body: unknown) => Promise<TicketResult>, ok: string) =>
    app.post(`/console/hop-thu/:id/${path}`, async (request, reply) => {
      const signed = await signedPost(c, request, reply);
      if (!signed) return reply;
      const id = Number((request.params as { id: string }).id);
      const result = Number.isSafeInteger(id) ? await run(signed, id, request.body) : ({ ok: false, reason: "not_found" } as const);
      return reply.redirect(`/console/hop-thu?${result.ok ? `da=${ok}` : `loi=${result.reason}`}#main`, 303);
    });

  action("tra-loi", async (signed, id, body) => {
    const text = (field(body, "text") ?? "").trim().slice(0, MAX_ANSWER);
    if (!text) return { ok: false, reason: "not_open" };
    return answerTicket(c, actorOf(signed), id, text);
  }, "answered");
  action("dong", (signed, id) => closeTicket(c, actorOf(signed), id), "closed");
  action("chuyen", async (signed, id) => (c.outbox ? escalateTicket({ ...c, outbox: c.outbox }, id, actorOf(signed)) : { ok: false, reason: "unavailable" }), "escalated");
}
