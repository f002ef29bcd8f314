// Roles, invitations, identity links and erasure: the rules, independent of chat or CLI.
import type { PrismaClient } from "../../generated/prisma/client.ts";
import { Limiter, type WindowCounter } from "../../core/rate-limit.ts";
import type { ChannelName, RoleName } from "../../core/types.ts";
import { channelRegistry, type ChannelRegistry } from "../../channels/registry.ts";
import { audit } from "../../security/audit.ts";
import { generateCode, hashCode } from "../../security/codes.ts";

export const INVITE_TTL_MS = 72 * 3600_000;
export const LINK_TTL_MS = 15 * 60_000;
/** Wrong codes a person may try per hour before being made to wait. */
export const CODE_ATTEMPTS_PER_HOUR = 5;

export function codeAttemptLimiter(counter: WindowCounter): Limiter {
  return new Limiter(counter, CODE_ATTEMPTS_PER_HOUR, 3600_000, "code-fail:");
}

export interface Actor {
  personId?: number | null;
  label: string;
}

export async function createInvite(
  prisma: PrismaClient,
  input: { role: RoleName; unitCode: string; by: Actor; now?: Date },
): Promise<{ code: string; expiresAt: Date }> {
  const now = input.now ?? new Date();
  const code = generateCode();
  const expiresAt = new Date(now.getTime() + INVITE_TTL_MS);
  await prisma.$transaction(async (tx) => {
    await tx.inviteCode.create({
      data: { codeHash: hashCode(code), role: input.role, unitCode: input.unitCode, createdBy: input.by.label, expiresAt },
    });
    await audit(tx, {
      actorPersonId: input.by.personId,
      actorLabel: input.by.label,
      action: "invite.create",
      unitCode: input.unitCode,
      detail: { role: input.role, expiresAt: expiresAt.toISOString() },
    });
  });
  return { code, expiresAt };
}

export type RedeemResult =
  | { ok: true; role: RoleName; unitCode: string; unitName: string }
  | { ok: false; reason: "invalid" | "expired" | "used" }
  | { ok: false; reason: "too_many_attempts"; retryAfterSec: number };

/** Redeems an invite: single use, atomic, limited guesses per person. */
export async function redeemInvite(
  prisma: PrismaClient,
  counter: WindowCounter,
  input: { personId: number; label: string; code: string; now?: Date },
): Promise<RedeemResult> {
  const limiter = codeAttemptLimiter(counter);
  const gate = await limiter.check(String(input.personId));
  if (!gate.allowed) return { ok: false, reason: "too_many_attempts", retryAfterSec: gate.retryAfterSec };
  const now = input.now ?? new Date();
  const invite = await prisma.inviteCode.findUnique({ where: { codeHash: hashCode(input.code) }, include: { unit: true } });
  const fail = async (reason: "invalid" | "expired" | "used"): Promise<RedeemResult> => {
    await limiter.hit(String(input.personId));
    await audit(prisma, { actorPersonId: input.personId, actorLabel: input.label, action: `invite.redeem_failed`, detail: { reason } });
    return { ok: false, reason };
  };
  if (!invite) return fail("invalid");
  if (invite.usedAt) return fail("used");
  if (invite.expiresAt <= now) return fail("expired");

  const claimed = await prisma.$transaction(async (tx) => {
    // Only one redemption can flip usedAt from null: a racing second one updates nothing.
    const { count } = await tx.inviteCode.updateMany({
      where: { id: invite.id, usedAt: null },
      data: { usedAt: now, usedByPersonId: input.personId },
    });
    if (count !== 1) return false;
    await tx.roleAssignment.create({
      data: { personId: input.personId, role: invite.role, unitCode: invite.unitCode, grantedBy: `invite:${invite.id}` },
    });
    await audit(tx, {
      actorPersonId: input.personId,
      actorLabel: input.label,
      action: "role.grant",
      unitCode: invite.unitCode,
      detail: { role: invite.role, via: `invite:${invite.id}`, invitedBy: invite.createdBy },
    });
    return true;
  });
  if (!claimed) return fail("used");
  return { ok: true, role: invite.role, unitCode: invite.unitCode, unitName: invite.unit.name };
}

/** Finds the person behind a channel account, creating both if the account never wrote yet. */
export async function personForAccount(
  prisma: PrismaClient,
  channel: ChannelName,
  userId: string,
  registry: ChannelRegistry = channelRegistry,
): Promise<number> {
  const enumValue = registry.toEnum(channel);
  const identity = await prisma.channelIdentity.upsert({
    where: { channel_externalUserId: { channel: enumValue, externalUserId: userId } },
    create: { channel: enumValue, externalUserId: userId, chatId: userId, person: { create: {} } },
    update: {},
  });
  return identity.personId;
}

export async function grantRole(
  prisma: PrismaClient,
  input: { personId: number; role: RoleName; unitCode: string; by: Actor },
): Promise<{ created: boolean }> {
  return prisma.$transaction(async (tx) => {
    const existing = await tx.roleAssignment.findFirst({
      where: { personId: input.personId, role: input.role, unitCode: input.unitCode, revokedAt: null },
    });
    if (existing) return { created: false };
    await tx.roleAssignment.create({ data: { personId: input.personId, role: input.role, unitCode: input.unitCode, grantedBy: input.by.label } });
    await audit(tx, {
      actorPersonId: input.by.personId,
      actorLabel: input.by.label,
      action: "role.grant",
      unitCode: input.unitCode,
      detail: { role: input.role, personId: input.personId },
    });
    return { created: true };
  });
}

export async function revokeRole(
  prisma: PrismaClient,
  input: { personId: number; role?: RoleName; unitCode?: string; by: Actor },
): Promise<number> {
  return prisma.$transaction(async (tx) => {
    const where = {
      personId: input.personId,
      revokedAt: null,
      ...(input.role ? { role: input.role } : {}),
      ...(input.unitCode ? { unitCode: input.unitCode } : {}),
    };
    const { count } = await tx.roleAssignment.updateMany({ where, data: { revokedAt: new Date() } });
    if (count) {
      await audit(tx, {
        actorPersonId: input.by.personId,
        actorLabel: input.by.label,
        action: "role.revoke",
        unitCode: input.unitCode ?? null,
        detail: { role: input.role ?? "all", personId: input.personId, count },
      });
    }
    return count;
  });
}

export async function createLinkCode(prisma: PrismaClient, personId: number, now = new Date()): Promise<{ code: string; expiresAt: Date }> {
  const code = generateCode();
  const expiresAt = new Date(now.getTime() + LINK_TTL_MS);
  await prisma.linkCode.create({ data: { codeHash: hashCode(code), personId, expiresAt } });
  return { code, expiresAt };
}

export type LinkResult =
  | { ok: true; personId: number; alreadyLinked: boolean }
  | { ok: false; reason: "invalid" | "expired" | "used" }
  | { ok: false; reason: "too_many_attempts"; retryAfterSec: number };

/**
 * Moves the calling identity onto the person who created the code: one person, several channels.
 * What the identity's former person owned (roles, conversations, tickets, reminders) moves along.
 */
export async function redeemLinkCode(
  prisma: PrismaClient,
  counter: WindowCounter,
  input: { identityId: number; personId: number; label: string; code: string; now?: Date },
): Promise<LinkResult> {
  const limiter = codeAttemptLimiter(counter);
  const gate = await limiter.check(String(input.personId));
  if (!gate.allowed) return { ok: false, reason: "too_many_attempts", retryAfterSec: gate.retryAfterSec };
  const now = input.now ?? new Date();
  const link = await prisma.linkCode.findUnique({ where: { codeHash: hashCode(input.code) } });
  const reason = !link ? "invalid" : link.usedAt ? "used" : link.expiresAt <= now ? "expired" : null;
  if (reason || !link) {
    await limiter.hit(String(input.personId));
    return { ok: false, reason: reason ?? "invalid" };
  }
  const target = link.personId;
  if (target === input.personId) {
    await prisma.linkCode.update({ where: { id: link.id }, data: { usedAt: now } });
    return { ok: true, personId: target, alreadyLinked: true };
  }
  const from = input.personId;
  const claimed = await prisma.$transaction(async (tx) => {
    const { count } = await tx.linkCode.updateMany({ where: { id: link.id, usedAt: null }, data: { usedAt: now } });
    if (count !== 1) return false;
    await tx.channelIdentity.updateMany({ where: { personId: from }, data: { personId: target } });
    await tx.roleAssignment.updateMany({ where: { personId: from }, data: { personId: target } });
    await tx.conversationMessage.updateMany({ where: { personId: from }, data: { personId: target } });
    await tx.handoffTicket.updateMany({ where: { citizenPersonId: from }, data: { citizenPersonId: target } });
    await tx.reminder.updateMany({ where: { personId: from }, data: { personId: target } });
    await tx.person.delete({ where: { id: from } });
    await audit(tx, { actorPersonId: target, actorLabel: input.label, action: "identity.link", detail: { mergedPerson: from } });
    return true;
  });
  if (!claimed) return { ok: false, reason: "used" };
  return { ok: true, personId: target, alreadyLinked: false };
}

/** A citizen's right to be forgotten: conversations, dialogue state and subscriptions of every channel. */
export async function eraseConversations(prisma: PrismaClient, personId: number, label: string) {
  return prisma.$transaction(async (tx) => {
    const identities = (await tx.channelIdentity.findMany({ where: { personId }, select: { id: true } })).map((i) => i.id);
    const messages = await tx.conversationMessage.deleteMany({ where: { personId } });
    const states = await tx.conversationState.deleteMany({ where: { identityId: { in: identities } } });
    const subscriptions = await tx.subscription.deleteMany({ where: { identityId: { in: identities } } });
    await audit(tx, { actorPersonId: personId, actorLabel: label, action: "privacy.erase", detail: { messages: messages.count, subscriptions: subscriptions.count } });
    return { messages: messages.count, states: states.count, subscriptions: subscriptions.count };
  });
}
