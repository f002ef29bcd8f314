// Telegram updates → IncomingMessage. Only the fields the bot uses are validated (zod); the rest passes.
// Groups: the bot reacts only to commands (addressed to it or to no bot in particular) and to replies to
// its own messages — never to every message of an officers' group.
import { z } from "zod";
import type { IncomingMessage } from "../../core/types.ts";

const id = z.number().int();

const userSchema = z.looseObject({
  id,
  is_bot: z.boolean(),
  first_name: z.string(),
  last_name: z.string().optional(),
  username: z.string().optional(),
});

const chatSchema = z.looseObject({ id, type: z.string() });

const messageSchema = z.looseObject({
  message_id: id,
  date: id,
  chat: chatSchema,
  from: userSchema.optional(),
  text: z.string().optional(),
  caption: z.string().optional(),
  reply_to_message: z.looseObject({ message_id: id, from: userSchema.optional() }).optional(),
});

const callbackQuerySchema = z.looseObject({
  id: z.string(),
  from: userSchema,
  data: z.string().optional(),
  message: z.looseObject({ message_id: id, chat: chatSchema }).optional(),
});

const chatMemberUpdatedSchema = z.looseObject({
  chat: chatSchema,
  from: userSchema,
  date: id,
  new_chat_member: z.looseObject({ status: z.string(), user: userSchema }),
});

export const updateSchema = z.looseObject({
  update_id: id.nonnegative(),
  message: messageSchema.optional(),
  callback_query: callbackQuerySchema.optional(),
  my_chat_member: chatMemberUpdatedSchema.optional(),
});

export type TelegramUpdate = z.infer<typeof updateSchema>;
export type TelegramMessage = z.infer<typeof messageSchema>;
export type TelegramCallbackQuery = z.infer<typeof callbackQuerySchema>;
type TelegramUser = z.infer<typeof userSchema>;

export interface BotIdentity {
  id: number;
  username: string;
}

export function isGroupChat(type: string): boolean {
  return type === "group" || type === "supergroup";
}

function displayName(user: TelegramUser): string {
  return [user.first_name, user.last_name].filter(Boolean).join(" ");
}

const COMMAND = /^\/[\p{L}\p{N}_]{1,32}(?:@(\w+))?(?:\s|$)/u;

/** Is this group message for the bot: a command (for it or for every bot) or a reply to one of its messages? */
export function isForBotInGroup(message: TelegramMessage, me: BotIdentity): boolean {
  const text = message.text ?? "";
  const command = COMMAND.exec(text);
  if (command) return !command[1] || command[1].toLowerCase() === me.username.toLowerCase();
  return message.reply_to_message?.from?.id === me.id;
}

export type MessageDecision =
  | { kind: "turn"; message: IncomingMessage; /** In groups, answer as a reply to this message. */ replyTo?: number }
  | { kind: "ignore"; reason: string };

export function messageToIncoming(message: TelegramMessage, me: BotIdentity): MessageDecision {
  const from = message.from;
  if (!from) return { kind: "ignore", reason: "no sender (anonymous admin or channel)" };
  if (from.is_bot) return { kind: "ignore", reason: "sent by a bot" };
  const group = isGroupChat(message.chat.type);
  if (!group && message.chat.type !== "private") return { kind: "ignore", reason: `chat type ${message.chat.type}` };
  if (group && !isForBotInGroup(message, me)) return { kind: "ignore", reason: "group message not addressed to the bot" };
  return {
    kind: "turn",
    message: {
      channel: "telegram",
      userId: String(from.id),
      chatId: String(message.chat.id),
      isGroup: group,
      displayName: displayName(from),
      text: message.text ?? message.caption,
      receivedAt: new Date(message.date * 1000),
      messageRef: String(message.message_id),
      replyToRef: message.reply_to_message ? String(message.reply_to_message.message_id) : undefined,
    },
    ...(group ? { replyTo: message.message_id } : {}),
  };
}

export function callbackToIncoming(query: TelegramCallbackQuery): IncomingMessage | null {
  if (!query.data || query.from.is_bot) return null;
  const chat = query.message?.chat;
  if (chat && !isGroupChat(chat.type) && chat.type !== "private") return null;
  return {
    channel: "telegram",
    userId: String(query.from.id),
    chatId: String(chat?.id ?? query.from.id),
    isGroup: chat ? isGroupChat(chat.type) : false,
    displayName: displayName(query.from),
    payload: query.data,
    receivedAt: new Date(),
    messageRef: query.message ? String(query.message.message_id) : undefined,
  };
}
