// Reply[] → Telegram messages: text split at Telegram's limits, buttons as inline keyboards,
// images as photos with a caption. Pure functions plus one sender that works on any grammY Api.
import { InputFile, type Api } from "grammy";
import type { InlineKeyboardMarkup, ReplyParameters } from "grammy/types";
import type { Button, Reply } from "../../core/types.ts";

/** Telegram's limits (Bot API): message text, photo caption, callback_data bytes. */
export const TEXT_LIMIT = 4096;
export const CAPTION_LIMIT = 1024;
export const CALLBACK_DATA_LIMIT = 64;

/** A reply the core produced that Telegram cannot carry; a bug in the core, never the user's fault. */
export class RenderError extends Error {
  override name = "RenderError";
}

/** Throws a RenderError when a button's payload does not fit Telegram's callback_data (1–64 bytes). */
export function assertButtonPayload(button: Button): void {
  const bytes = Buffer.byteLength(button.payload, "utf8");
  if (bytes === 0 || bytes > CALLBACK_DATA_LIMIT) {
    const shown = button.payload.length > 80 ? `${button.payload.slice(0, 80)}…` : button.payload;
    throw new RenderError(
      `button "${button.label}" has a payload of ${bytes} bytes ("${shown}"); Telegram's callback_data takes 1–${CALLBACK_DATA_LIMIT} bytes — the core must produce shorter payloads`,
    );
  }
}

/** Checks every reply before anything is sent, so a bad one never leaves a half-sent answer. */
export function assertRenderable(replies: Reply[]): void {
  for (const reply of replies) for (const row of reply.buttons ?? []) for (const button of row) assertButtonPayload(button);
}

export function inlineKeyboard(rows: Button[][] | undefined): InlineKeyboardMarkup | undefined {
  const kept = (rows ?? []).filter((row) => row.length > 0);
  if (kept.length === 0) return undefined;
  return {
    inline_keyboard: kept.map((row) =>
      row.map((button) => {
        assertButtonPayload(button);
        return { text: button.label, callback_data: button.payload };
      }),
    ),
  };
}

const SENTENCE_END = /[.!?…:;](?:["'”’)\]]*)\s+/g;

/** Index (≤ limit) where a chunk of `text` should end: paragraph, line, sentence, word, or hard cut. */
function cutPoint(text: string, limit: number): number {
  const window = text.slice(0, limit + 1);
  const floor = Math.floor(limit * 0.3); // do not produce tiny chunks when a later boundary exists
  const paragraph = window.lastIndexOf("\n\n");
  if (paragraph > floor) return paragraph;
  const line = window.lastIndexOf("\n");
  if (line > floor) return line;
  let sentence = -1;
  for (const match of window.matchAll(SENTENCE_END)) {
    const end = match.index + match[0].trimEnd().length;
    if (end <= limit) sentence = end;
  }
  if (sentence > floor) return sentence;
  const space = window.lastIndexOf(" ");
  if (space > floor) return space;
  // No boundary at all: cut hard, but never between the two halves of a surrogate pair.
  const code = text.charCodeAt(limit - 1);
  return code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit;
}

/**
 * Splits text into chunks of at most `limit` UTF-16 units (what Telegram counts), preferring paragraph,
 * then line, then sentence, then word boundaries. Whitespace at the cuts is dropped.
 */
export function splitText(text: string, limit = TEXT_LIMIT): string[] {
  const chunks: string[] = [];
  let rest = text.trim();
  while (rest.length > limit) {
    const cut = cutPoint(rest, limit);
    const chunk = rest.slice(0, cut).trimEnd();
    if (chunk) chunks.push(chunk);
    rest = rest.slice(cut).trimStart();
  }
  if (rest) chunks.push(rest);
  return chunks;
}

export interface RenderOptions {
  /** In groups: answer as a reply to this message id. */
  replyTo?: number | undefined;
  /**
   * Asked before each platform message (numbered from 0): false skips it (it went out in an earlier run of
   * the same turn). `release` is told when the send of a claimed message failed.
   */
  once?: { claim(n: number): Promise<boolean>; release(n: number): Promise<void> } | undefined;
}

/** Sends the replies in order through `api`; returns the id of the last message sent. */
export async function sendReplies(
  api: Api,
  chatId: number | string,
  replies: Reply[],
  options: RenderOptions = {},
): Promise<number | undefined> {
  assertRenderable(replies);
  let lastId: number | undefined;
  let replyParameters: ReplyParameters | undefined =
    options.replyTo !== undefined ? { message_id: options.replyTo, allow_sending_without_reply: true } : undefined;
  const common = () => {
    const extra = replyParameters ? { reply_parameters: replyParameters } : {};
    replyParameters = undefined; // only the first message of the answer quotes the question
    return extra;
  };
  let counter = 0;
  const guarded = async <T>(send: () => Promise<T>): Promise<T | undefined> => {
    const n = counter++;
    const once = options.once;
    if (!once) return send();
    if (!(await once.claim(n))) return undefined;
    try {
      return await send();
    } catch (error) {
      await once.release(n);
      throw error;
    }
  };

  for (const reply of replies) {
    const keyboard = inlineKeyboard(reply.buttons);
    let texts = splitText(reply.text ?? "");
    if (reply.image) {
      // The photo's caption: its own caption, else the reply's text when that fits; the rest follows as text.
      const ownCaption = reply.image.caption?.trim() ?? "";
      let caption = "";
      let rest = texts;
      if (ownCaption) {
        const parts = splitText(ownCaption, CAPTION_LIMIT);
        caption = parts[0] ?? "";
        rest = [...parts.slice(1), ...texts];
      } else if (texts.length === 1 && texts[0]!.length <= CAPTION_LIMIT) {
        caption = texts[0]!;
        rest = [];
      }
      const extra = {
        ...(caption ? { caption } : {}),
        ...(rest.length === 0 && keyboard ? { reply_markup: keyboard } : {}),
        ...common(),
      };
      const photo = await guarded(() => api.sendPhoto(chatId, new InputFile(reply.image!.png, "image.png"), extra));
      if (photo) lastId = photo.message_id;
      texts = rest;
      if (texts.length === 0) continue;
    }
    if (texts.length === 0) {
      if (!keyboard) continue;
      texts = ["👇"]; // Telegram needs some text to hang buttons on
    }
    for (const [i, text] of texts.entries()) {
      const last = i === texts.length - 1;
      const extra = {
        ...(last && keyboard ? { reply_markup: keyboard } : {}),
        ...common(),
      };
      const message = await guarded(() => api.sendMessage(chatId, text, extra));
      if (message) lastId = message.message_id;
    }
  }
  return lastId;
}
