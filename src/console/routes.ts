// The staff console on the bot's own HTTP server: /console/… (see README, «Bàn làm việc cho cán bộ»).
// Sign-in, sign-out and sessions live here; each area of work has its module (progress.ts, inbox.ts,
// announcements.ts, content.ts) with thin routes over the feature services.
import formbody from "@fastify/formbody";
import multipart from "@fastify/multipart";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import path from "node:path";
import { loadStaticFile, type StaticFile } from "../channels/web/page.ts";
import { loadSessionSecret } from "../channels/web/session.ts";
import { formatVietnamTime, roleLabels } from "../core/helpers.ts";
import { hasPermission, unitPaths } from "../security/policy.ts";
import { CONSOLE_COOKIE, CsrfTokens, deviceName, listSessions, openSessionsWithin, revokeSession, signIn } from "./auth.ts";
import { field, mayAnywhere, refused, sameOrigin, securityHeaders, sendPage, signedIn, signedPost, signInHelp, type ConsoleContext, type ConsoleDeps, type Signed } from "./context.ts";
import { html, notice, postForm } from "./html.ts";
import { registerAnnouncements } from "./announcements.ts";
import { registerContentReview } from "./content.ts";
import { registerInbox } from "./inbox.ts";
import { registerProgress } from "./progress.ts";

const ASSETS = path.join(import.meta.dirname, "assets");


/** Sign-in attempts per IP per minute (a link's token cannot be guessed; this only keeps floods cheap). */
const SIGN_IN_PER_MINUTE = 30;

const failures: Record<string, string> = {
  used: "Liên kết này đã được dùng. Mỗi liên kết chỉ đăng nhập được một lần: gõ /web trong tin nhắn riêng với Trợ lý 06 để lấy liên kết mới.",
  expired: "Liên kết này đã hết hạn (liên kết dùng được trong 10 phút). Gõ /web để lấy liên kết mới.",
  invalid: "Liên kết không đúng. Hãy mở đúng liên kết Trợ lý 06 gửi, hoặc gõ /web để lấy liên kết mới.",
  no_role: "Tài khoản này không còn vai trò cán bộ nào, nên không vào được Bàn làm việc.",
};

export function consoleRoutes(deps: ConsoleDeps): (app: FastifyInstance) => Promise<void> {
  return async (app) => {
    const assets = { css: loadStaticFile(ASSETS, "console.css", "text/css; charset=utf-8"), js: loadStaticFile(ASSETS, "console.js", "text/javascript; charset=utf-8") };
    const c: ConsoleContext = {
      ...deps,
      csrf: new CsrfTokens(loadSessionSecret(deps.config.WEB_SESSION_SECRET, deps.config.dataDir)),
      cssHash: assets.css.hash,
      jsHash: assets.js.hash,
      secure: (deps.config.CONSOLE_URL ?? deps.config.PUBLIC_URL ?? "").startsWith("https://"),
    };
    // Plain HTML forms (urlencoded) and the report upload (multipart), only inside this plugin.
    await app.register(formbody, { bodyLimit: 64 * 1024 });
    await app.register(multipart, { limits: { fileSize: 5 * 1024 * 1024, files: 1, fields: 10, fieldSize: 4096 } });

    const serve = (request: FastifyRequest, reply: FastifyReply, file: StaticFile) => {
      const gzip = /\bgzip\b/.test(String(request.headers["accept-encoding"] ?? ""));
      reply.header("content-type", file.type).header("cache-control", "public, max-age=86400").header("x-content-type-options", "nosniff").header("vary", "accept-encoding");
      if (gzip) reply.header("content-encoding", "gzip");
      return reply.send(gzip ? file.gzip : file.body);
    };
    app.get("/console/static/console.css", (request, reply) => serve(request, reply, assets.css));
    app.get("/console/static/console.js", (request, reply) => serve(request, reply, assets.js));

    const cookie = (value: string, maxAgeSec: number) =>
      `${CONSOLE_COOKIE}=${value}; Path=/console; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSec}${c.secure ? "; Secure" : ""}`;

    app.get("/console", async (request, reply) => {
      const signed = await signedIn(c, request, reply);
      if (!signed) return reply;
      return reply.redirect("/console/tien-do", 303);
    });

    // Opening the link shows a button; only pressing it signs in. Chat apps fetch links to preview them, and
    // such a fetch must not use the link up.
    app.get("/console/dang-nhap", async (request, reply) => {
      const query = request.query as Record<string, unknown>;
      const token = typeof query.t === "string" ? query.t : undefined;
      if (query.ra !== undefined) {
        return sendPage(c, reply, { title: "Đã đăng xuất", body: html`${notice("ok", "Bạn đã đăng xuất khỏi Bàn làm việc.")}${signInHelp()}` });
      }
      if (!token) return sendPage(c, reply, { title: "Đăng nhập", body: signInHelp() });
      return sendPage(c, reply, {
        title: "Đăng nhập",
        body: html`<p class="lead">Bấm nút dưới đây để vào Bàn làm việc trên máy này. Liên kết chỉ dùng được một lần.</p>
<form method="post" action="/console/dang-nhap"><input type="hidden" name="t" value="${token}"><button type="submit">Đăng nhập</button></form>
<p class="hint">Nếu đây là máy dùng chung, nhớ bấm «Đăng xuất» khi xong việc.</p>`,
      });
    });

    const perIp = new Map<string, number>();
    let windowStart = Date.now();
    app.post("/console/dang-nhap", async (request, reply) => {
      if (Date.now() - windowStart > 60_000) {
        perIp.clear();
        windowStart = Date.now();
      }
      const hits = (perIp.get(request.ip) ?? 0) + 1;
      perIp.set(request.ip, hits);
      if (hits > SIGN_IN_PER_MINUTE) {
        reply.header("retry-after", "60");
        return sendPage(c, reply, { title: "Đăng nhập", status: 429, body: notice("error", "Quá nhiều lần thử. Xin đợi một phút rồi thử lại.") });
      }
      if (!sameOrigin(c, request)) return sendPage(c, reply, { title: "Đăng nhập", status: 403, body: notice("error", "Yêu cầu không hợp lệ.") });
      const result = await signIn(c.prisma, { token: field(request.body, "t") ?? "", device: deviceName(request.headers["user-agent"]), sessionHours: c.config.CONSOLE_SESSION_HOURS });
      if (!result.ok) {
        return sendPage(c, reply, { title: "Không đăng nhập được", status: 400, body: html`${notice("error", failures[result.reason]!)}${signInHelp()}` });
      }
      reply.header("set-cookie", cookie(result.sessionToken, c.config.CONSOLE_SESSION_HOURS * 3600));
      return reply.redirect("/console", 303);
    });

    app.post("/console/dang-xuat", async (request, reply) => {
      const signed = await signedPost(c, request, reply);
      if (!signed) return reply;
      await revokeSession(c.prisma, { sessionId: signed.user.sessionId, personId: signed.user.personId, by: { personId: signed.user.personId, label: signed.user.label }, reason: "logout" });
      reply.header("set-cookie", cookie("", 0));
      return reply.redirect("/console/dang-nhap?ra=1", 303);
    });

    app.get("/console/phien", async (request, reply) => {
      const signed = await signedIn(c, request, reply);
      if (!signed) return reply;
      const sessions = await listSessions(c.prisma, signed.user.personId);
      const tz = c.config.TZ;
      const done = (request.query as Record<string, unknown>).da;
      return sendPage(c, reply, {
        title: "Phiên đăng nhập",
        active: "sessions",
        signed,
        body: html`${done !== undefined ? notice("ok", "Đã thu hồi phiên đăng nhập.") : ""}
<p class="lead">Các trình duyệt đang đăng nhập bằng tài khoản của bạn. Thu hồi một phiên nếu bạn không nhận ra nó, hoặc đã quên đăng xuất ở máy khác.</p>
${mayAnywhere(signed, "roles.manage") ? html`<p><a href="/console/phien/moi-nguoi">Phiên đăng nhập của mọi người trong phạm vi của bạn</a></p>` : ""}
<div class="table-wrap"><table><caption>${sessions.length} phiên đang mở</caption>
<thead><tr><th scope="col">Trình duyệt</th><th scope="col">Đăng nhập lúc</th><th scope="col">Dùng lần cuối</th><th scope="col">Hết hạn</th><th scope="col">Thao tác</th></tr></thead>
<tbody>${sessions.map(
          (s) => html`<tr${s.id === signed.user.sessionId ? html` class="mine"` : ""}><td>${s.device ?? "Không rõ"}${s.id === signed.user.sessionId ? " (máy này)" : ""}</td>
<td>${formatVietnamTime(s.createdAt, tz)}</td><td>${formatVietnamTime(s.lastSeenAt, tz)}</td><td>${formatVietnamTime(s.expiresAt, tz)}</td>
<td>${postForm(`/console/phien/${s.id}/thu-hoi`, signed.csrf, html`<button type="submit" class="quiet" aria-label="Thu hồi phiên ${s.device ?? ""} đăng nhập lúc ${formatVietnamTime(s.createdAt, tz)}">Thu hồi</button>`)}</td></tr>`,
        )}</tbody></table></div>`,
      });
    });

    app.post("/console/phien/:id/thu-hoi", async (request, reply) => {
      const signed = await signedPost(c, request, reply);
      if (!signed) return reply;
      const id = Number((request.params as { id: string }).id);
      if (!Number.isSafeInteger(id)) return reply.redirect("/console/phien", 303);
      await revokeSession(c.prisma, { sessionId: id, personId: signed.user.personId, by: { personId: signed.user.personId, label: signed.user.label }, reason: "revoke" });
      if (id === signed.user.sessionId) {
        reply.header("set-cookie", cookie("", 0));
        return reply.redirect("/console/dang-nhap?ra=1", 303);
      }
      return reply.redirect("/console/phien?da=1", 303);
    });

    // Admins: everyone's open sessions in their area (people holding a role on a unit under theirs), and
    // revoking one. The revoked browser is refused at its next request (sessionUser reads revokedAt).
    const adminArea = async (signed: Signed) => {
      const codes = signed.user.roles.filter((r) => hasPermission(r.role, "roles.manage")).map((r) => r.unitCode);
      return [...(await unitPaths(c.prisma, codes)).values()];
    };

    app.get("/console/phien/moi-nguoi", async (request, reply) => {
      const signed = await signedIn(c, request, reply);
      if (!signed) return reply;
      if (!mayAnywhere(signed, "roles.manage")) return refused(c, reply, signed, "sessions");
      const sessions = await openSessionsWithin(c.prisma, await adminArea(signed));
      const tz = c.config.TZ;
      const done = (request.query as Record<string, unknown>).da;
      const via = (channel: string | null) => (channel ? c.registry.label(c.registry.fromEnum(channel)) : "không rõ");
      return sendPage(c, reply, {
        title: "Phiên đăng nhập của mọi người",
        active: "sessions",
        signed,
        body: html`${done !== undefined ? notice("ok", "Đã thu hồi phiên đăng nhập. Trình duyệt đó phải đăng nhập lại.") : ""}
<p class="lead">Các phiên Bàn làm việc đang mở của cán bộ có vai trò trong phạm vi của bạn. Thu hồi một phiên khi máy bị mất, dùng chung, hoặc người đó đã chuyển công tác (muốn bỏ hẳn quyền thì thu hồi cả vai trò: <code>npm run admin -- revoke</code>).</p>
<p><a href="/console/phien">Về phiên của bạn</a></p>
<div class="table-wrap"><table id="moi-nguoi"><caption>${sessions.length} phiên đang mở</caption>
<thead><tr><th scope="col">Người dùng</th><th scope="col">Vai trò, đơn vị</th><th scope="col">Đăng nhập qua</th><th scope="col">Trình duyệt</th><th scope="col">Đăng nhập lúc</th><th scope="col">Dùng lần cuối</th><th scope="col">Thao tác</th></tr></thead>
<tbody>${sessions.map(
          (s) => html`<tr${s.id === signed.user.sessionId ? html` class="mine"` : ""}><td>${s.name}${s.id === signed.user.sessionId ? " (bạn, máy này)" : ""}</td>
<td>${s.roles.map((r) => `${roleLabels[r.role]} · ${r.unitName}`).join("; ")}</td><td>${via(s.via)}</td><td>${s.device ?? "Không rõ"}</td>
<td>${formatVietnamTime(s.createdAt, tz)}</td><td>${formatVietnamTime(s.lastSeenAt, tz)}</td>
<td>${postForm(`/console/phien/moi-nguoi/${s.id}/thu-hoi`, signed.csrf, html`<button type="submit" class="quiet" aria-label="Thu hồi phiên của ${s.name} đăng nhập lúc ${formatVietnamTime(s.createdAt, tz)}">Thu hồi</button>`, 'data-confirm="Thu hồi phiên này? Người đó phải đăng nhập lại."')}</td></tr>`,
        )}</tbody></table></div>`,
        script: true,
      });
    });

    app.post("/console/phien/moi-nguoi/:id/thu-hoi", async (request, reply) => {
      const signed = await signedPost(c, request, reply);
      if (!signed) return reply;
      if (!mayAnywhere(signed, "roles.manage")) return refused(c, reply, signed, "sessions");
      const id = Number((request.params as { id: string }).id);
      // Only a session of someone in the admin's area; any other number is refused alike.
      const [target] = Number.isSafeInteger(id) ? await openSessionsWithin(c.prisma, await adminArea(signed), { sessionId: id }) : [];
      if (!target) return refused(c, reply, signed, "sessions");
      await revokeSession(c.prisma, { sessionId: id, personId: null, by: { personId: signed.user.personId, label: signed.user.label }, reason: "revoke" });
      if (id === signed.user.sessionId) {
        reply.header("set-cookie", cookie("", 0));
        return reply.redirect("/console/dang-nhap?ra=1", 303);
      }
      return reply.redirect("/console/phien/moi-nguoi?da=1", 303);
    });

    registerProgress(app, c);
    registerInbox(app, c);
    registerAnnouncements(app, c);
    registerContentReview(app, c);

  };
}
