// The "/" menu Telegram shows: citizens see the commands listed for everyone (default scope); officers
// see the staff commands too, in their own private chat (BotCommandScopeChat). A menu is a convenience,
// not access control: every command checks the policy itself.
import type { Api } from "grammy";
import type { BotCommand } from "grammy/types";
import type { CommandListing, Core } from "../../core/ports.ts";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import type { Logger } from "../../logging/logger.ts";

/** Telegram accepts 1–32 characters from a–z, 0–9 and _, with a 1–256 character description. */
const VALID_NAME = /^[a-z0-9_]{1,32}$/;

/** /start and /help lead the menu; the rest keep the order in which features registered them. */
const FIRST = ["start", "help"];
const position = (c: CommandListing) => (FIRST.includes(c.name) ? FIRST.indexOf(c.name) : FIRST.length);

export function toBotCommands(commands: CommandListing[]): BotCommand[] {
  return commands
    .filter((c) => VALID_NAME.test(c.name))
    .sort((a, b) => position(a) - position(b))
    .map((c) => ({ command: c.name, description: c.description.trim().slice(0, 256) || c.name }));
}

export function commandMenus(router: Core["router"]): { everyone: BotCommand[]; staff: BotCommand[] } {
  const all = router.listCommands();
  return {
    everyone: toBotCommands(all.filter((c) => c.listedFor === "everyone")),
    // Officers see everything: the citizens' commands first, then theirs.
    staff: toBotCommands([...all.filter((c) => c.listedFor === "everyone"), ...all.filter((c) => c.listedFor === "staff")]),
  };
}

const chatIdParam = (chatId: string): number | string => (/^-?\d+$/.test(chatId) ? Number(chatId) : chatId);

export class CommandMenu {
  constructor(
    private readonly api: Api,
    private readonly router: Core["router"],
    private readonly prisma: PrismaClient,
    private readonly log: Logger,
  ) {}

  /** Default menu for everyone, and the staff menu in the private chat of every known officer. */
  async publish(): Promise<void> {
    const { everyone, staff } = commandMenus(this.router);
    await this.api.setMyCommands(everyone, { scope: { type: "default" } });
    const officers = await this.staffUserIds();
    for (const userId of officers) {
      await this.api.setMyCommands(staff, { scope: { type: "chat", chat_id: chatIdParam(userId) } });
    }
    this.log.info({ everyone: everyone.length, staff: staff.length, officers: officers.length }, "telegram command menus published");
  }

  /**
   * Call after granting or revoking a role: the person's private chat (on Telegram the private chat id is
   * the user id) gets the staff menu while they hold a role, and falls back to the default menu after.
   */
  async refreshStaffCommands(chatId: string): Promise<void> {
    const identity = await this.prisma.channelIdentity.findFirst({
      where: { channel: "TELEGRAM", OR: [{ externalUserId: chatId }, { chatId }] },
      select: { person: { select: { roles: { where: { revokedAt: null }, select: { id: true } } } } },
    });
    const scope = { type: "chat" as const, chat_id: chatIdParam(chatId) };
    if (identity && identity.person.roles.length > 0) {
      await this.api.setMyCommands(commandMenus(this.router).staff, { scope });
    } else {
      await this.api.deleteMyCommands({ scope });
    }
  }

  /** Telegram user ids (= private chat ids) of people holding at least one active role. */
  private async staffUserIds(): Promise<string[]> {
    const rows = await this.prisma.channelIdentity.findMany({
      where: { channel: "TELEGRAM", person: { roles: { some: { revokedAt: null } } } },
      select: { externalUserId: true },
    });
    // Private chats only: a user id is positive; never scope the staff menu to a group.
    return [...new Set(rows.map((r) => r.externalUserId))].filter((id) => /^\d+$/.test(id));
  }
}
