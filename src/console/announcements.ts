// «Thông báo» (supervisors, admins): compose an announcement, see it as recipients will with the count
// per channel, send now or at a time, follow it (sent / failed / unreachable; the page reloads itself
// while it runs, no JavaScript needed), cancel. Thin over features/broadcast/service.ts, which /thongbao
// and POST /api/broadcasts use too.
import { randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { formatVietnamTime } from "../core/helpers.ts";
import { parseScheduleTime } from "../features/broadcast/schedule.ts";
import { broadcastProgress, cancelBroadcast, configRates, createBroadcast, MAX_TEXT_CHARS, previewAudience, renderAnnouncement } from "../features/broadcast/service.ts";
import type { Audience, SendChannel } from "../features/broadcast/audience.ts";
import { authorize, hasPermission } from "../security/policy.ts";
import { field, fields, refused, sendPage, signedIn, signedPost, type ConsoleContext, type Signed } from "./context.ts";
import { html, notice, postForm, type Html } from "./html.ts";

const AUDIENCES: Record<Audience, string> = { CITIZENS: "Người dân đã đăng ký nhận tin", OFFICERS: "Cán bộ", BOTH: "Cả người dân và cán bộ" };
const STATUS: Record<string, string> = { DRAFT: "nháp", SCHEDULED: "đã hẹn giờ", RUNNING: "đang gửi", DONE: "đã gửi xong", CANCELLED: "đã hủy" };

interface Draft {
  unitCode: string;
  audience: Audience;
  channels: SendChannel[];
  text: string;
  when: string;
}

function readDraft(c: ConsoleContext, body: unknown): Draft {
  const audience = field(body, "audience");
  return {
    unitCode: (field(body, "unit") ?? "").slice(0, 40),
    audience: audience === "OFFICERS" || audience === "BOTH" ? audience : "CITIZENS",
    channels: c.registry.sendable.filter((ch) => fields(body, "channel").includes(ch)),
    text: (field(body, "text") ?? "").replace(/\r\n/g, "\n").trim(),
    when: (field(body, "when") ?? "").trim().slice(0, 40),
  };
}

async function units(c: ConsoleContext, signed: Signed) {
  const codes = signed.user.roles.filter((r) => hasPermission(r.role, "broadcast.send")).map((r) => r.unitCode);
  return c.prisma.adminUnit.findMany({ where: { code: { in: codes } }, select: { code: true, name: true, path: true }, orderBy: { path: "asc" } });
}

function composeForm(c: ConsoleContext, signed: Signed, list: Array<{ code: string; name: string }>, d?: Draft): Html {
  return postForm(
    "/console/thong-bao/xem-truoc",
    signed.csrf,
    html`<label for="unit">Gửi cho đơn vị</label>
<select id="unit" name="unit">${list.map((u) => html`<option value="${u.code}"${d?.unitCode === u.code ? html` selected` : ""}>${u.name} và các đơn vị trực thuộc</option>`)}</select>
<fieldset><legend>Người nhận</legend>${(Object.keys(AUDIENCES) as Audience[]).map(
      (a) => html`<label class="inline"><input type="radio" name="audience" value="${a}"${(d?.audience ?? "CITIZENS") === a ? html` checked` : ""}> ${AUDIENCES[a]}</label>`,
    )}</fieldset>
<fieldset><legend>Kênh (không chọn: mọi kênh)</legend>${c.registry.sendable.map(
      (ch) => html`<label class="inline"><input type="checkbox" name="channel" value="${ch}"${d?.channels.includes(ch) ? html` checked` : ""}> ${c.registry.label(ch)}</label>`,
    )}</fieldset>
<label for="text">Nội dung thông báo</label>
<textarea id="text" name="text" maxlength="${MAX_TEXT_CHARS}" required aria-describedby="text-hint">${d?.text ?? ""}</textarea>
<p class="hint" id="text-hint">Tối đa ${MAX_TEXT_CHARS} ký tự. Không ghi số căn cước, số điện thoại của người dân.</p>
<label for="when">Hẹn giờ gửi (không bắt buộc)</label>
<input id="when" name="when" type="text" value="${d?.when ?? ""}" placeholder="20/12 08:00" aria-describedby="when-hint">
<p class="hint" id="when-hint">Để trống: gửi ngay khi xác nhận. Ví dụ: 20/12 08:00, 08:00 20/12/2026.</p>
<button type="submit">Xem trước</button>`,
  );
}

export function registerAnnouncements(app: FastifyInstance, c: ConsoleContext): void {
  const rates = configRates(c.config, c.registry);

  app.get("/console/thong-bao", async (request, reply) => {
    const signed = await signedIn(c, request, reply);
    if (!signed) return reply;
    const list = await units(c, signed);
    if (!list.length) return refused(c, reply, signed, "broadcast");
    const recent = await c.prisma.broadcast.findMany({
      where: { unit: { OR: list.map((u) => ({ path: { startsWith: u.path } })) } },
      orderBy: { id: "desc" },
      take: 20,
      include: { unit: { select: { name: true } } },
    });
    return sendPage(c, reply, {
      title: "Thông báo",
      active: "broadcast",
      signed,
      body: html`<h2>Soạn thông báo mới</h2>${composeForm(c, signed, list)}
<h2>Thông báo gần đây</h2>${recent.length
        ? html`<div class="table-wrap"><table><caption>${recent.length} thông báo gần nhất</caption><thead><tr><th scope="col" class="num">Số</th><th scope="col">Đơn vị</th><th scope="col">Trạng thái</th><th scope="col">Tạo lúc</th><th scope="col">Nội dung</th></tr></thead>
<tbody>${recent.map((b) => html`<tr><td class="num"><a href="/console/thong-bao/${b.id}">${b.id}</a></td><td>${b.unit.name}</td><td>${STATUS[b.status] ?? b.status}</td><td>${formatVietnamTime(b.createdAt, c.config.TZ)}</td><td>${Array.from(b.text).slice(0, 80).join("")}</td></tr>`)}</tbody></table></div>`
        : html`<p>Chưa có thông báo nào.</p>`}`,
    });
  });

  const problems = async (signed: Signed, d: Draft): Promise<{ errors: string[]; at?: Date; unit?: { name: string; path: string } }> => {
    const errors: string[] = [];
    const unit = await c.prisma.adminUnit.findUnique({ where: { code: d.unitCode }, select: { name: true, path: true } });
    if (!unit || !(await authorize(c.prisma, signed.user, "broadcast.send", d.unitCode)).allowed) errors.push("Đơn vị ngoài phạm vi của bạn.");
    if (!d.text) errors.push("Chưa có nội dung.");
    if (Array.from(d.text).length > MAX_TEXT_CHARS) errors.push(`Nội dung dài quá ${MAX_TEXT_CHARS} ký tự.`);
    let at: Date | undefined;
    if (d.when) {
      const parsed = parseScheduleTime(d.when, c.config.TZ);
      if (parsed.ok) at = parsed.at;
      else errors.push(parsed.reason === "past" ? "Giờ hẹn đã qua." : parsed.reason === "too_far" ? "Giờ hẹn xa quá (tối đa 60 ngày)." : `Không hiểu giờ hẹn «${d.when}» (ví dụ: 20/12 08:00).`);
    }
    return { errors, ...(at ? { at } : {}), ...(unit ? { unit } : {}) };
  };

  app.post("/console/thong-bao/xem-truoc", async (request, reply) => {
    const signed = await signedPost(c, request, reply);
    if (!signed) return reply;
    const d = readDraft(c, request.body);
    const list = await units(c, signed);
    const check = await problems(signed, d);
    if (check.errors.length || !check.unit) {
      return sendPage(c, reply, { title: "Thông báo", active: "broadcast", signed, status: 422, body: html`${notice("error", check.errors.join(" "))}${composeForm(c, signed, list, d)}` });
    }
    const preview = await previewAudience(c.prisma, c.outbox, { unitPath: check.unit.path, audience: d.audience, channels: d.channels }, c.registry);
    const shown = renderAnnouncement(c.messages, { text: d.text, unitName: check.unit.name }, d.audience !== "OFFICERS")[0]!.text;
    const hidden = html`<input type="hidden" name="unit" value="${d.unitCode}"><input type="hidden" name="audience" value="${d.audience}">${d.channels.map((ch) => html`<input type="hidden" name="channel" value="${ch}">`)}<input type="hidden" name="text" value="${d.text}"><input type="hidden" name="when" value="${d.when}"><input type="hidden" name="key" value="${randomBytes(12).toString("base64url")}">`;
    return sendPage(c, reply, {
      title: "Xem trước thông báo",
      active: "broadcast",
      signed,
      body: html`<p class="lead">Người nhận sẽ thấy đúng như sau:</p><div class="preview">${shown}</div>
<div class="table-wrap"><table><caption>Số người nhận: ${preview.total}</caption><thead><tr><th scope="col">Kênh</th><th scope="col" class="num">Người nhận</th></tr></thead>
<tbody>${c.registry.sendable.map((ch) => html`<tr><th scope="row">${c.registry.label(ch)}</th><td class="num">${preview.byChannel[ch] ?? 0}${preview.unavailable[ch] ? ` (+${preview.unavailable[ch]} không gửi được: kênh đang tắt)` : ""}</td></tr>`)}</tbody></table></div>
<p>${check.at ? `Hẹn gửi lúc ${formatVietnamTime(check.at, c.config.TZ)}.` : "Gửi ngay khi xác nhận."}</p>
${preview.total === 0 ? notice("info", "Không có người nhận nào: kiểm tra đơn vị, người nhận và kênh.") : ""}
${postForm("/console/thong-bao/gui", signed.csrf, html`${hidden}<button type="submit"${preview.total === 0 ? html` disabled` : ""}>${check.at ? "Xác nhận hẹn giờ" : `Gửi cho ${preview.total} người`}</button>`)}
<h2>Sửa lại</h2>${composeForm(c, signed, list, d)}`,
    });
  });

  app.post("/console/thong-bao/gui", async (request, reply) => {
    const signed = await signedPost(c, request, reply);
    if (!signed) return reply;
    const d = readDraft(c, request.body);
    const check = await problems(signed, d);
    if (check.errors.length || !c.queues) {
      return sendPage(c, reply, { title: "Thông báo", active: "broadcast", signed, status: 422, body: html`${notice("error", check.errors.join(" ") || "Chưa gửi được lúc này.")}${composeForm(c, signed, await units(c, signed), d)}` });
    }
    const key = (field(request.body, "key") ?? "").replace(/[^A-Za-z0-9_-]/g, "").slice(0, 32);
    const result = await createBroadcast(
      { prisma: c.prisma, queues: c.queues, outbox: c.outbox, registry: c.registry },
      { unitCode: d.unitCode, audience: d.audience, channels: d.channels, text: d.text, scheduledAt: check.at, clientKey: key ? `console-${signed.user.personId}-${key}` : undefined, by: { personId: signed.user.personId, label: signed.user.label }, reportIdentityId: signed.user.identityId },
    );
    if (!result.ok) return refused(c, reply, signed, "broadcast");
    return reply.redirect(`/console/thong-bao/${result.broadcast.id}`, 303);
  });

  app.get("/console/thong-bao/:id", async (request, reply) => {
    const signed = await signedIn(c, request, reply);
    if (!signed) return reply;
    const id = Number((request.params as { id: string }).id);
    const b = Number.isSafeInteger(id) ? await c.prisma.broadcast.findUnique({ where: { id } }) : null;
    if (!b || !(await authorize(c.prisma, signed.user, "broadcast.send", b.unitCode)).allowed) return refused(c, reply, signed, "broadcast");
    const p = (await broadcastProgress(c.prisma, id, rates, c.registry))!;
    const live = p.status === "RUNNING" || p.status === "SCHEDULED";
    const tz = c.config.TZ;
    const done = p.counts.sent + p.counts.failed + p.counts.unreachable + p.counts.cancelled;
    return sendPage(c, reply, {
      title: `Thông báo số ${id}`,
      active: "broadcast",
      signed,
      script: true,
      ...(live ? { refreshSec: 3 } : {}),
      body: html`<p class="lead">${p.unitName} · ${AUDIENCES[p.audience]} · <strong>${STATUS[p.status] ?? p.status}</strong>${p.scheduledAt ? ` · hẹn ${formatVietnamTime(p.scheduledAt, tz)}` : ""}${live ? " · trang tự cập nhật mỗi 3 giây" : ""}</p>
<p><label for="tien-trinh">Đã xử lý ${done}/${p.recipients}</label><progress id="tien-trinh" max="${Math.max(1, p.recipients)}" value="${done}">${done}/${p.recipients}</progress></p>
<div class="table-wrap"><table id="ket-qua"><caption>Kết quả gửi</caption><thead><tr><th scope="col">Tình trạng</th><th scope="col" class="num">Số người</th></tr></thead><tbody>
<tr><th scope="row">Đã gửi</th><td class="num">${p.counts.sent}</td></tr>
<tr><th scope="row">Đang chờ gửi</th><td class="num">${p.counts.pending}</td></tr>
<tr><th scope="row">Không gửi được</th><td class="num">${p.counts.failed}</td></tr>
<tr><th scope="row">Không liên lạc được (đã chặn bot)</th><td class="num">${p.counts.unreachable}</td></tr>
<tr><th scope="row">Đã hủy</th><td class="num">${p.counts.cancelled}</td></tr>
</tbody></table></div>
${live ? postForm(`/console/thong-bao/${id}/huy`, signed.csrf, html`<button type="submit" class="danger">Hủy thông báo số ${id}</button>`, 'data-confirm="Hủy thông báo này? Tin chưa gửi sẽ không được gửi."') : ""}
<p><a href="/console/thong-bao">Về danh sách thông báo</a></p>`,
    });
  });

  app.post("/console/thong-bao/:id/huy", async (request, reply) => {
    const signed = await signedPost(c, request, reply);
    if (!signed) return reply;
    const id = Number((request.params as { id: string }).id);
    const b = Number.isSafeInteger(id) ? await c.prisma.broadcast.findUnique({ where: { id } }) : null;
    if (!b || !c.queues || !(await authorize(c.prisma, signed.user, "broadcast.send", b.unitCode)).allowed) return refused(c, reply, signed, "broadcast");
    await cancelBroadcast({ prisma: c.prisma, queues: c.queues }, id, { personId: signed.user.personId, label: signed.user.label });
    return reply.redirect(`/console/thong-bao/${id}`, 303);
  });
}
