// Signing in to the staff console without passwords. `/web` in the bot's private chat creates a one-time
// link (a random 256-bit token; only its SHA-256 is stored; 10 minutes; single use, claimed atomically);
// opening it and pressing «Đăng nhập» starts a browser session whose cookie holds another random token
// (hashed in the database as well). A session names a person, never roles: every request reads the
// person's current roles, so a revoked role or session takes effect at the next click.
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { ChannelEnum } from "../channels/registry.ts";
import type { RoleGrant, RoleName } from "../core/types.ts";
import { redactPII } from "../privacy/redact.ts";
import { audit } from "../security/audit.ts";

export const LINK_TTL_MS = 10 * 60_000;
export const CONSOLE_COOKIE = "troly06_console";
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");
const newToken = () => randomBytes(32).toString("base64url");

export function isToken(value: string | undefined): value is string {
  return typeof value === "string" && TOKEN.test(value);
}

/** Who is signed in: the person, their active roles, and the session (for CSRF and revocation). */
export interface StaffUser {
  personId: number;
  name: string;
  roles: RoleGrant[];
  sessionId: number;
  /** How the person is named in the audit log: "console:<person id>". */
  label: string;
  /** The private chat (channel identity) whose /web link opened this session: reports go there. */
  identityId: number | null;
}

export const consoleLabel = (personId: number) => `console:${personId}`;

/** A sign-in link for a person who holds a role (the caller checks that). */
export async function createSignInLink(
  prisma: PrismaClient,
  input: { personId: number; channel: ChannelEnum; identityId?: number | null; actorLabel: string; now?: Date },
): Promise<{ token: string; expiresAt: Date }> {
  const now = input.now ?? new Date();
  const token = newToken();
  const expiresAt = new Date(now.getTime() + LINK_TTL_MS);
  await prisma.$transaction(async (tx) => {
    await tx.consoleLink.create({ data: { tokenHash: hashToken(token), personId: input.personId, channel: input.channel, identityId: input.identityId ?? null, expiresAt } });
    await audit(tx, { actorPersonId: input.personId, actorLabel: input.actorLabel, action: "console.link", detail: { expiresAt: expiresAt.toISOString() } });
  });
  return { token, expiresAt };
}

export type SignInResult =
  | { ok: true; sessionToken: string; personId: number; expiresAt: Date }
  | { ok: false; reason: "invalid" | "used" | "expired" | "no_role" };

/** Redeems a link once: the first caller flips used_at; any later one (or a racing one) is refused. */
export async function signIn(
  prisma: PrismaClient,
  input: { token: string; device?: string | undefined; sessionHours: number; now?: Date },
): Promise<SignInResult> {
  const now = input.now ?? new Date();
  const link = isToken(input.token) ? await prisma.consoleLink.findUnique({ where: { tokenHash: hashToken(input.token) } }) : null;
  const fail = async (reason: "invalid" | "used" | "expired" | "no_role", personId?: number): Promise<SignInResult> => {
    await audit(prisma, { actorPersonId: personId ?? null, actorLabel: personId ? consoleLabel(personId) : "console:anonymous", action: "console.login_failed", detail: { reason } });
    return { ok: false, reason };
  };
  if (!link) return fail("invalid");
  if (link.usedAt) return fail("used", link.personId);
  if (link.expiresAt <= now) return fail("expired", link.personId);
  const roles = await prisma.roleAssignment.count({ where: { personId: link.personId, revokedAt: null } });
  if (roles === 0) return fail("no_role", link.personId);
  const sessionToken = newToken();
  const expiresAt = new Date(now.getTime() + input.sessionHours * 3600_000);
  const claimed = await prisma.$transaction(async (tx) => {
    const { count } = await tx.consoleLink.updateMany({ where: { id: link.id, usedAt: null }, data: { usedAt: now } });
    if (count !== 1) return false;
    const session = await tx.consoleSession.create({
      data: { tokenHash: hashToken(sessionToken), personId: link.personId, identityId: link.identityId, device: input.device ?? null, expiresAt, createdAt: now, lastSeenAt: now },
    });
    await audit(tx, { actorPersonId: link.personId, actorLabel: consoleLabel(link.personId), action: "console.login", detail: { sessionId: session.id, via: link.channel } });
    return true;
  });
  if (!claimed) return fail("used", link.personId);
  return { ok: true, sessionToken, personId: link.personId, expiresAt };
}

/** The signed-in user of a cookie token, or null (unknown, expired, revoked, or no role left). */
export async function sessionUser(prisma: PrismaClient, token: string | undefined, now = new Date()): Promise<StaffUser | null> {
  if (!isToken(token)) return null;
  const session = await prisma.consoleSession.findUnique({
    where: { tokenHash: hashToken(token) },
    include: { person: { include: { roles: { where: { revokedAt: null } }, identities: { select: { displayName: true }, take: 1 } } } },
  });
  if (!session || session.revokedAt || session.expiresAt <= now) return null;
  const roles = session.person.roles.map((r) => ({ role: r.role as RoleName, unitCode: r.unitCode }));
  if (roles.length === 0) return null;
  // Written at most once a minute: a page full of requests does not write on each.
  if (now.getTime() - session.lastSeenAt.getTime() > 60_000) {
    await prisma.consoleSession.update({ where: { id: session.id }, data: { lastSeenAt: now } });
  }
  const name = session.person.displayName ?? session.person.identities[0]?.displayName ?? `Cán bộ #${session.personId}`;
  return { personId: session.personId, name, roles, sessionId: session.id, label: consoleLabel(session.personId), identityId: session.identityId };
}

export async function listSessions(prisma: PrismaClient, personId: number, now = new Date()) {
  return prisma.consoleSession.findMany({
    where: { personId, revokedAt: null, expiresAt: { gt: now } },
    orderBy: { lastSeenAt: "desc" },
    select: { id: true, device: true, createdAt: true, lastSeenAt: true, expiresAt: true },
  });
}

/** Ends a session. `personId` limits it to the person's own sessions (null: an operator, any session). */
export async function revokeSession(
  prisma: PrismaClient,
  input: { sessionId: number; personId: number | null; by: { personId?: number | null; label: string }; reason: "logout" | "revoke" },
): Promise<boolean> {
  return prisma.$transaction(async (tx) => {
    const session = await tx.consoleSession.findUnique({ where: { id: input.sessionId }, select: { personId: true } });
    const { count } = await tx.consoleSession.updateMany({
      where: { id: input.sessionId, revokedAt: null, ...(input.personId !== null ? { personId: input.personId } : {}) },
      data: { revokedAt: new Date(), revokedBy: input.by.label },
    });
    if (count && session) {
      // Whose session it was, when someone else ended it (an admin): the person id, never a platform id.
      const owner = session.personId !== input.by.personId ? { personId: session.personId } : {};
      await audit(tx, { actorPersonId: input.by.personId ?? null, actorLabel: input.by.label, action: input.reason === "logout" ? "console.logout" : "console.session_revoke", detail: { sessionId: input.sessionId, ...owner } });
    }
    return count === 1;
  });
}

/** An open session as an admin sees it: who (name, roles), how they signed in, when; no platform id. */
export interface OpenSession {
  id: number;
  personId: number;
  name: string;
  roles: Array<{ role: RoleName; unitCode: string; unitName: string }>;
  /** The channel whose /web link opened it (the enum value), when known. */
  via: ChannelEnum | null;
  device: string | null;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
}

/**
 * Everyone's open sessions whose person holds an active role on a unit under one of `unitPaths` (an
 * admin's area), most recently used first. `sessionId` narrows it to one (to check a revocation).
 */
export async function openSessionsWithin(
  prisma: PrismaClient,
  unitPaths: readonly string[],
  options: { sessionId?: number; now?: Date; limit?: number } = {},
): Promise<OpenSession[]> {
  if (!unitPaths.length) return [];
  const now = options.now ?? new Date();
  const inArea = { revokedAt: null, unit: { OR: unitPaths.map((p) => ({ path: { startsWith: p } })) } };
  const rows = await prisma.consoleSession.findMany({
    where: { revokedAt: null, expiresAt: { gt: now }, ...(options.sessionId !== undefined ? { id: options.sessionId } : {}), person: { roles: { some: inArea } } },
    orderBy: { lastSeenAt: "desc" },
    take: options.limit ?? 500,
    include: {
      identity: { select: { channel: true } },
      person: {
        select: {
          displayName: true,
          identities: { select: { displayName: true }, take: 1 },
          roles: { where: { revokedAt: null }, select: { role: true, unitCode: true, unit: { select: { name: true } } }, orderBy: { id: "asc" } },
        },
      },
    },
  });
  return rows.map((r) => ({
    id: r.id,
    personId: r.personId,
    // A name as the person set it on their chat app may hold a phone number: it is shown redacted.
    name: redactPII(r.person.displayName ?? r.person.identities[0]?.displayName ?? `Cán bộ #${r.personId}`),
    roles: r.person.roles.map((g) => ({ role: g.role as RoleName, unitCode: g.unitCode, unitName: g.unit.name })),
    via: r.identity?.channel ?? null,
    device: r.device,
    createdAt: r.createdAt,
    lastSeenAt: r.lastSeenAt,
    expiresAt: r.expiresAt,
  }));
}

/** A short name for the browser from its User-Agent ("Chrome 120 · Windows"), at most 60 characters. */
export function deviceName(userAgent: string | undefined): string | undefined {
  if (!userAgent) return undefined;
  const browser =
    /Edg\/(\d+)/.exec(userAgent)?.[1] !== undefined ? `Edge ${/Edg\/(\d+)/.exec(userAgent)![1]}`
    : /Firefox\/(\d+)/.exec(userAgent) ? `Firefox ${/Firefox\/(\d+)/.exec(userAgent)![1]}`
    : /(?:Chrome|Chromium)\/(\d+)/.exec(userAgent) ? `Chrome ${/(?:Chrome|Chromium)\/(\d+)/.exec(userAgent)![1]}`
    : /Version\/(\d+).*Safari/.exec(userAgent) ? `Safari ${/Version\/(\d+)/.exec(userAgent)![1]}`
    : /Trident\/|MSIE/.test(userAgent) ? "Internet Explorer"
    : "Trình duyệt khác";
  const os = /Windows/.test(userAgent) ? "Windows" : /Android/.test(userAgent) ? "Android" : /iPhone|iPad/.test(userAgent) ? "iOS" : /Mac OS X/.test(userAgent) ? "macOS" : /Linux/.test(userAgent) ? "Linux" : "";
  return `${browser}${os ? ` · ${os}` : ""}`.slice(0, 60);
}

/** The CSRF token of a session: an HMAC of its id, put into every form and checked on every POST. */
export class CsrfTokens {
  constructor(private readonly secret: Buffer) {}
  token(sessionId: number): string {
    return createHmac("sha256", this.secret).update(`console-csrf:${sessionId}`).digest("base64url");
  }
  check(sessionId: number, given: unknown): boolean {
    if (typeof given !== "string") return false;
    const a = Buffer.from(given);
    const b = Buffer.from(this.token(sessionId));
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
