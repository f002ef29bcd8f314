// What every console page needs: the services it reads and writes through, the signed-in user, the page
// frame, and the guards (session, CSRF, same origin, permission). Routes stay thin: each page module asks
// these, then calls the feature services (policy, indicators, handoff, broadcast, faq).
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Redis } from "ioredis";
import type { ChannelRegistry } from "../channels/registry.ts";
import type { Config } from "../config/env.ts";
import type { Messages } from "../core/messages.ts";
import type { Outbox } from "../core/ports.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Logger } from "../logging/logger.ts";
import type { QueueSet } from "../queue/queues.ts";
import { authorize, hasPermission, type Permission } from "../security/policy.ts";
import { readCookie } from "../channels/web/session.ts";
import { CONSOLE_COOKIE, CsrfTokens, sessionUser, type StaffUser } from "./auth.ts";
import { html, notice, page, type Html, type NavUser } from "./html.ts";

export interface ConsoleDeps {
  config: Config;
  prisma: PrismaClient;
  messages: Messages;
  log: Logger;
  registry: ChannelRegistry;
  /** Absent in tests of pages that send nothing. */
  outbox?: Outbox;
  queues?: QueueSet;
  redis?: Redis;
}

export interface ConsoleContext extends ConsoleDeps {
  csrf: CsrfTokens;
  cssHash: string;
  jsHash: string;
  secure: boolean;
}

/** A signed-in request: the user with their units' names (for the header). */
export interface Signed {
  user: StaffUser;
  nav: NavUser;
  csrf: string;
}

export function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header(
      "content-security-policy",
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    )
    .header("x-content-type-options", "nosniff")
    // same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on form posts, and the
    // origin check below needs the real one. The sign-in link's token still never leaves this server.
    .header("referrer-policy", "same-origin")
    .header("x-frame-options", "DENY")
    .header("permissions-policy", "camera=(), geolocation=(), microphone=(), payment=()")
    .header("cross-origin-opener-policy", "same-origin")
    .header("cache-control", "no-store");
}

export function sendPage(
  c: ConsoleContext,
  reply: FastifyReply,
  o: { title: string; body: Html; active?: string; signed?: Signed; status?: number; refreshSec?: number; script?: boolean },
) {
  securityHeaders(reply).code(o.status ?? 200).type("text/html; charset=utf-8");
  return reply.send(
    page({
      title: o.title,
      body: o.body,
      cssHash: c.cssHash,
      ...(o.script ? { jsHash: c.jsHash } : {}),
      ...(o.active ? { active: o.active } : {}),
      ...(o.signed ? { user: o.signed.nav, csrf: o.signed.csrf } : {}),
      ...(o.refreshSec ? { refreshSec: o.refreshSec } : {}),
    }),
  );
}

/** The signed-in user of the request, or null after sending the sign-in page. */
export async function signedIn(c: ConsoleContext, request: FastifyRequest, reply: FastifyReply): Promise<Signed | null> {
  const user = await sessionUser(c.prisma, readCookie(request.headers.cookie, CONSOLE_COOKIE));
  if (!user) {
    void sendPage(c, reply, {
      title: "Đăng nhập",
      status: 401,
      body: html`${notice("info", "Bạn chưa đăng nhập, hoặc phiên đăng nhập đã hết hạn.")}${signInHelp()}`,
    });
    return null;
  }
  const units = await c.prisma.adminUnit.findMany({ where: { code: { in: user.roles.map((r) => r.unitCode) } }, select: { code: true, name: true } });
  const names = new Map(units.map((u) => [u.code, u.name]));
  return {
    user,
    nav: { name: user.name, roles: user.roles.map((r) => ({ ...r, unitName: names.get(r.unitCode) ?? r.unitCode })) },
    csrf: c.csrf.token(user.sessionId),
  };
}

export function signInHelp(): Html {
  return html`<p class="lead">Bàn làm việc dành cho cán bộ, tổ công tác và quản trị viên. Không cần mật khẩu:</p>
<ol class="lead">
<li>Mở tin nhắn riêng với Trợ lý 06 trên Telegram hoặc Zalo (tài khoản đã được xác thực là cán bộ).</li>
<li>Gõ <strong>/web</strong>. Trợ lý gửi lại một liên kết đăng nhập, dùng được một lần trong 10 phút.</li>
<li>Mở liên kết đó trên máy tính này và bấm <strong>Đăng nhập</strong>.</li>
</ol>`;
}

/** The request comes from our own pages: same origin when the browser says so, never cross-site. */
export function sameOrigin(c: ConsoleContext, request: FastifyRequest): boolean {
  if (request.headers["sec-fetch-site"] === "cross-site") return false;
  const origin = request.headers.origin;
  if (origin === undefined || origin === "null") return origin === undefined;
  let given: URL;
  try {
    given = new URL(origin);
  } catch {
    return false;
  }
  for (const base of [c.config.CONSOLE_URL, c.config.PUBLIC_URL]) {
    if (base && given.origin === new URL(base).origin) return true;
  }
  return given.host === request.headers.host;
}

export type Body = Record<string, string | undefined>;

/** A form field as a string (urlencoded bodies are parsed into strings; repeated fields keep the first). */
export function field(body: unknown, name: string): string | undefined {
  if (!body || typeof body !== "object") return undefined;
  const value = (body as Record<string, unknown>)[name];
  if (typeof value === "string") return value;
  if (Array.isArray(value) && typeof value[0] === "string") return value[0];
  return undefined;
}

/** Every value of a repeated form field (checkboxes). */
export function fields(body: unknown, name: string): string[] {
  if (!body || typeof body !== "object") return [];
  const value = (body as Record<string, unknown>)[name];
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** A POST of a signed-in user with a valid CSRF token from our own origin, or null after answering 403. */
export async function signedPost(c: ConsoleContext, request: FastifyRequest, reply: FastifyReply, csrfValue?: string): Promise<Signed | null> {
  const signed = await signedIn(c, request, reply);
  if (!signed) return null;
  const token = csrfValue ?? field(request.body, "_csrf");
  if (!sameOrigin(c, request) || !c.csrf.check(signed.user.sessionId, token)) {
    void sendPage(c, reply, {
      title: "Không thực hiện được",
      status: 403,
      signed,
      body: notice("error", "Yêu cầu không hợp lệ (trang đã cũ hoặc gửi từ nơi khác). Xin tải lại trang rồi làm lại."),
    });
    return null;
  }
  return signed;
}

export function mayAnywhere(signed: Signed, permission: Permission): boolean {
  return signed.user.roles.some((r) => hasPermission(r.role, permission));
}

/** The policy's answer for a unit; on refusal sends a 403 page that names nothing of the unit. */
export async function allowedOn(c: ConsoleContext, reply: FastifyReply, signed: Signed, permission: Permission, unitCode: string | undefined, active?: string): Promise<boolean> {
  const decision = unitCode ? await authorize(c.prisma, signed.user, permission, unitCode) : { allowed: false };
  if (decision.allowed) return true;
  void refused(c, reply, signed, active);
  return false;
}

export function refused(c: ConsoleContext, reply: FastifyReply, signed: Signed, active?: string) {
  return sendPage(c, reply, {
    title: "Không có quyền xem",
    status: 403,
    signed,
    ...(active ? { active } : {}),
    body: html`${notice("error", "Trang này thuộc đơn vị ngoài phạm vi của bạn, hoặc không tồn tại.")}<p><a href="/console">Về trang đầu</a></p>`,
  });
}

/** Where a user lands: their highest unit among grants allowing `permission`. */
export function homeUnit(signed: Signed, permission: Permission, paths: Map<string, string>): string | undefined {
  return signed.user.roles
    .filter((r) => hasPermission(r.role, permission) && paths.has(r.unitCode))
    .sort((a, b) => paths.get(a.unitCode)!.length - paths.get(b.unitCode)!.length || a.unitCode.localeCompare(b.unitCode))[0]?.unitCode;
}
