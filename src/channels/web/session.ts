// Anonymous web sessions: a random id in a signed, HttpOnly cookie, and the CSRF token derived from it.
// The HMAC key comes from WEB_SESSION_SECRET, or is generated once into DATA_DIR/web-session.key, so
// sessions survive restarts without any setting. No account, no personal data: the id is all there is.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

export const SESSION_COOKIE = "troly06_sid";
const SID = /^[A-Za-z0-9_-]{22}$/;

/** The key: the setting when given, else the file under DATA_DIR (created with mode 600 on first use). */
export function loadSessionSecret(given: string | undefined, dataDir: string): Buffer {
  if (given) return Buffer.from(given, "utf8");
  const file = path.join(dataDir, "web-session.key");
  try {
    const stored = readFileSync(file, "utf8").trim();
    if (stored.length >= 43) return Buffer.from(stored, "utf8");
  } catch {
    // not there yet
  }
  mkdirSync(dataDir, { recursive: true });
  const fresh = randomBytes(32).toString("base64url");
  try {
    // "wx": two processes starting at once must not overwrite each other's key.
    writeFileSync(file, `${fresh}\n`, { mode: 0o600, flag: "wx" });
    return Buffer.from(fresh, "utf8");
  } catch {
    return Buffer.from(readFileSync(file, "utf8").trim(), "utf8");
  }
}

function mac(secret: Buffer, purpose: string, sid: string): string {
  return createHmac("sha256", secret).update(`${purpose}:${sid}`).digest("base64url");
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class SessionSigner {
  constructor(private readonly secret: Buffer) {}

  newSessionId(): string {
    return randomBytes(16).toString("base64url");
  }

  /** The cookie value: `<id>.<hmac>`. */
  sign(sid: string): string {
    return `${sid}.${mac(this.secret, "sid", sid)}`;
  }

  /** The session id of a cookie value, or null when it is malformed or its signature is wrong. */
  verify(value: string | undefined): string | null {
    if (!value) return null;
    const dot = value.indexOf(".");
    if (dot < 0) return null;
    const sid = value.slice(0, dot);
    if (!SID.test(sid)) return null;
    return same(value.slice(dot + 1), mac(this.secret, "sid", sid)) ? sid : null;
  }

  /** Synchroniser token for the session (the page reads it from a meta tag and sends it as a header). */
  csrfToken(sid: string): string {
    return mac(this.secret, "csrf", sid);
  }

  checkCsrf(sid: string, token: string | undefined): boolean {
    return typeof token === "string" && same(token, this.csrfToken(sid));
  }
}

export function isSessionId(value: string): boolean {
  return SID.test(value);
}

/** The value of one cookie from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The Set-Cookie header. Over plain HTTP: SameSite=Lax. Behind HTTPS (PUBLIC_URL https://…) the chat may
 * sit in a portal's iframe (the widget), where a Lax cookie is never sent: SameSite=None; Secure;
 * Partitioned (the cookie is kept per embedding site). CSRF is checked by token and Origin either way.
 */
export function sessionCookie(value: string, options: { secure: boolean; maxAgeSec: number }): string {
  const base = `${SESSION_COOKIE}=${value}; Path=/chat; HttpOnly; Max-Age=${options.maxAgeSec}`;
  return options.secure ? `${base}; Secure; SameSite=None; Partitioned` : `${base}; SameSite=Lax`;
}

export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie("", { secure, maxAgeSec: 0 });
}
