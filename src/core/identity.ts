// Finds (or creates) the person behind a channel account, with their active roles.
import { channelRegistry, type ChannelEnum, type ChannelRegistry } from "../channels/registry.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Actor, ChannelName, IncomingMessage, RoleName } from "./types.ts";

export type { ChannelEnum };

/** Channel name → Prisma enum value, for the app's registry (features with a turn use ctx.services.registry). */
export const channelEnum = Object.fromEntries(channelRegistry.specs.map((s) => [s.name, s.enumValue])) as Record<ChannelName, ChannelEnum>;

/** Prisma enum value → channel name, for the app's registry. */
export function channelName(value: ChannelEnum): ChannelName {
  return channelRegistry.fromEnum(value);
}

export async function resolveActor(prisma: PrismaClient, message: IncomingMessage, registry: ChannelRegistry = channelRegistry): Promise<Actor> {
  const channel = registry.toEnum(message.channel);
  const where = { channel_externalUserId: { channel, externalUserId: message.userId } };
  const existing = await prisma.channelIdentity.findUnique({
    where,
    include: { person: { include: { roles: { where: { revokedAt: null } } } } },
  });
  if (existing) {
    // Keep the private reply address fresh (never replace it with a group's); a message from the user
    // also proves they are reachable again.
    const chatId = message.isGroup ? existing.chatId : message.chatId;
    if (existing.chatId !== chatId || existing.unreachableAt) {
      await prisma.channelIdentity.update({ where: { id: existing.id }, data: { chatId, unreachableAt: null } });
    }
    return {
      personId: existing.personId,
      identityId: existing.id,
      roles: existing.person.roles.map((r) => ({ role: r.role as RoleName, unitCode: r.unitCode })),
      isNew: false,
    };
  }
  // Two first messages racing: the unique (channel, user) key lets one insert win; the other re-reads.
  try {
    const created = await prisma.channelIdentity.create({
      data: {
        channel,
        externalUserId: message.userId,
        // Seen first in a group: on Telegram and Zalo the private chat id is the user id.
        chatId: message.isGroup ? message.userId : message.chatId,
        displayName: message.displayName ?? null,
        person: { create: { displayName: message.displayName ?? null } },
      },
    });
    return { personId: created.personId, identityId: created.id, roles: [], isNew: true };
  } catch (error) {
    if ((error as { code?: string }).code !== "P2002") throw error;
    return resolveActor(prisma, message, registry);
  }
}
