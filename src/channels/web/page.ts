// The chat page and its static files. The HTML holds no script (the CSP forbids inline code): chat.js is a
// file, served with a content hash in its URL and gzipped once at start-up. The style (1.4 kB gzipped) is
// inlined, allowed by its SHA-256 in the CSP rather than 'unsafe-inline': a separate stylesheet blocks the
// first paint for one more round trip, 400 ms on a slow 3G phone. Vietnamese throughout; the CSRF token
// travels in a meta tag.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";

export interface StaticFile {
  body: Buffer;
  gzip: Buffer;
  type: string;
  hash: string;
  /** "sha256-…" of the body, for a CSP source. */
  cspHash: string;
}

const ASSETS = path.join(import.meta.dirname, "assets");

/** A file of `dir` served as it is, with its gzip form and hashes (the web chat's and the console's assets). */
export function loadStaticFile(dir: string, name: string, type: string): StaticFile {
  const body = readFileSync(path.join(dir, name));
  return {
    body,
    gzip: gzipSync(body, { level: 9 }),
    type,
    hash: createHash("sha256").update(body).digest("hex").slice(0, 12),
    cspHash: `sha256-${createHash("sha256").update(body).digest("base64")}`,
  };
}

export function loadAssets(): Record<"chat.js" | "chat.css" | "widget.js", StaticFile> {
  return {
    "chat.js": loadStaticFile(ASSETS, "chat.js", "text/javascript; charset=utf-8"),
    "chat.css": loadStaticFile(ASSETS, "chat.css", "text/css; charset=utf-8"),
    "widget.js": loadStaticFile(ASSETS, "widget.js", "text/javascript; charset=utf-8"),
  };
}

const escapeAttr = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function chatPage(options: { csrf: string; jsHash: string; css: string }): string {
  return `<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${escapeAttr(options.csrf)}">
<meta name="color-scheme" content="light">
<title>Trợ lý 06 – hỏi đáp VNeID, căn cước, dịch vụ công</title>
<link rel="icon" href="data:,">
<style>${options.css}</style>
<script src="/chat/static/chat.js?v=${options.jsHash}" defer></script>
</head>
<body>
<a class="skip" href="#text">Đến ô nhập câu hỏi</a>
<header class="top">
  <div class="brand">
    <h1>Trợ lý 06</h1>
    <p>Hỏi về VNeID, thẻ căn cước, cư trú, dịch vụ công</p>
  </div>
  <button type="button" id="size" class="tool" aria-describedby="size-now">Cỡ chữ <span id="size-now">lớn</span></button>
</header>
<section id="extras" class="extras" aria-label="Nhận thông báo, chuyển sang Zalo hoặc Telegram" hidden>
  <div class="row">
    <p id="sub-state" class="sub-state"></p>
    <button type="button" id="subscribe" class="tool" hidden>Nhận thông báo</button>
    <button type="button" id="move" class="tool" aria-expanded="false" aria-controls="move-panel" hidden>Chuyển sang Zalo / Telegram</button>
  </div>
  <div id="move-panel" class="move" role="region" aria-label="Chuyển sang Zalo hoặc Telegram" tabindex="-1" hidden></div>
</section>
<main id="main">
  <div id="log" class="log" role="log" aria-live="polite" aria-relevant="additions" aria-label="Cuộc trò chuyện" tabindex="-1"></div>
  <p id="status" class="status" role="status"></p>
  <noscript><p class="bubble bot">Trang này cần bật JavaScript. Bạn cũng có thể hỏi qua Zalo hoặc Telegram, hoặc đến Công an cấp xã.</p></noscript>
</main>
<form id="form" class="composer" autocomplete="off">
  <label for="text">Câu hỏi của bạn</label>
  <div class="row">
    <input id="text" name="text" type="text" maxlength="2000" enterkeyhint="send" placeholder="Gõ câu hỏi ở đây" required>
    <button type="button" id="mic" class="mic" hidden aria-pressed="false">Nói<span class="who"> câu hỏi bằng giọng</span></button>
    <button type="submit" id="send">Gửi</button>
  </div>
  <div class="foot">
    <p class="hint">Không cần ghi số căn cước hay số điện thoại.</p>
    <button type="button" id="reset" class="tool quiet">Xóa cuộc trò chuyện</button>
  </div>
</form>
</body>
</html>
`;
}
