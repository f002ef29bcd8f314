// Server-rendered HTML for the console: a tagged template that escapes every interpolated value (only
// values already made by `html` pass through), and the page layout. No inline script or style anywhere
// (the CSP forbids them); every page works with JavaScript off, and forms post the old-fashioned way.
import type { RoleName } from "../core/types.ts";
import { roleLabels } from "../core/helpers.ts";
import { hasPermission, type Permission } from "../security/policy.ts";

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Value = Html | string | number | null | undefined | false | Value[];

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

function render(value: Value): string {
  if (value === null || value === undefined || value === false) return "";
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join("");
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1]!;
  });
  return new Html(out);
}

/** Trusted markup made elsewhere (the SVG charts, which escape their own texts). */
export const raw = (markup: string) => new Html(markup);

export interface NavUser {
  name: string;
  roles: Array<{ role: RoleName; unitCode: string; unitName: string }>;
}

interface NavItem {
  href: string;
  label: string;
  key: string;
  permission: Permission;
}

const NAV: NavItem[] = [
  { key: "progress", href: "/console/tien-do", label: "Tiến độ", permission: "indicators.view" },
  { key: "inbox", href: "/console/hop-thu", label: "Câu hỏi chờ trả lời", permission: "handoff.answer" },
  { key: "broadcast", href: "/console/thong-bao", label: "Thông báo", permission: "broadcast.send" },
  { key: "content", href: "/console/noi-dung", label: "Rà soát nội dung", permission: "content.review" },
  { key: "sessions", href: "/console/phien", label: "Phiên đăng nhập", permission: "indicators.view" },
];

export interface PageOptions {
  title: string;
  /** Which menu entry is the current page. */
  active?: string;
  user?: NavUser;
  csrf?: string;
  cssHash: string;
  jsHash?: string;
  /** Seconds after which the page reloads itself (live progress without JavaScript). */
  refreshSec?: number;
  body: Html;
}

export function page(o: PageOptions): string {
  const may = (p: Permission) => o.user?.roles.some((r) => hasPermission(r.role, p)) ?? false;
  const nav = o.user
    ? html`<nav class="menu" aria-label="Chức năng"><ul>${NAV.filter((n) => may(n.permission)).map(
        (n) => html`<li><a href="${n.href}"${n.key === o.active ? raw(' aria-current="page"') : ""}>${n.label}</a></li>`,
      )}</ul></nav>`
    : "";
  const who = o.user
    ? html`<div class="who"><p><span class="name">${o.user.name}</span><br><span class="roles">${o.user.roles
        .map((r) => `${roleLabels[r.role]} · ${r.unitName}`)
        .join("; ")}</span></p>
      <form method="post" action="/console/dang-xuat"><input type="hidden" name="_csrf" value="${o.csrf ?? ""}"><button type="submit" class="quiet">Đăng xuất</button></form></div>`
    : "";
  return `<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="color-scheme" content="light">
${o.refreshSec ? `<meta http-equiv="refresh" content="${o.refreshSec}">` : ""}
<title>${escapeHtml(o.title)} – Bàn làm việc Trợ lý 06</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/static/console.css?v=${o.cssHash}">
${o.jsHash ? `<script src="/console/static/console.js?v=${o.jsHash}" defer></script>` : ""}
</head>
<body>
<a class="skip" href="#main">Đến nội dung chính</a>
<header class="top">
  <p class="brand"><a href="/console">Trợ lý 06 · Bàn làm việc</a></p>
  ${who}
</header>
${nav}
<main id="main" tabindex="-1">
<h1>${escapeHtml(o.title)}</h1>
${o.body.value}
</main>
</body>
</html>
`;
}

/** A <form method="post"> with the session's CSRF token. */
export function postForm(action: string, csrf: string, inner: Html, attrs = ""): Html {
  return html`<form method="post" action="${action}"${raw(attrs ? ` ${attrs}` : "")}><input type="hidden" name="_csrf" value="${csrf}">${inner}</form>`;
}

export function notice(kind: "ok" | "error" | "info", text: Value): Html {
  return html`<p class="notice ${kind}" role="${kind === "error" ? "alert" : "status"}">${text}</p>`;
}
