// Turning core replies into Zalo messages: plain text split at the platform limit on sentence
// boundaries, and buttons shown as numbered lines ("1. Bước tiếp") that a reply "1", "2"… selects.
import type { Reply } from "../../core/types.ts";
import { ZALO_TEXT_LIMIT } from "./client.ts";

export const DEFAULT_OPTIONS_HINT = "Gõ số để chọn:";

// A sentence ends at . ! ? … (with closing quotes/brackets) before whitespace, or at a line break.
// "1." at the start of a line is a list marker, not the end of a sentence.
const BOUNDARY = /(?<!^[ \t]*\d{1,3})[.!?…]+["'”’»)\]]*(?=\s)|\n/gmu;

/** Where to cut `text` so that the first part has at most `limit` characters. */
function findCut(text: string, limit: number): number {
  const window = text.slice(0, limit + 1);
  // 1. A paragraph break in the second half of the window keeps paragraphs whole.
  const paragraph = window.lastIndexOf("\n\n");
  if (paragraph >= limit / 2) return paragraph;
  // 2. The last sentence end (or line break) that fits.
  let sentence = -1;
  for (const match of window.matchAll(BOUNDARY)) {
    const end = match[0] === "\n" ? match.index : match.index + match[0].length;
    if (end > 0 && end <= limit) sentence = end;
  }
  if (sentence > 0) return sentence;
  // 3. One over-long sentence: the last whitespace, so no word is cut.
  const space = Math.max(window.lastIndexOf(" "), window.lastIndexOf("\t"), window.lastIndexOf("\n"));
  if (space > 0) return space;
  // 4. A single "word" longer than the limit (a URL): cut it, but never inside a surrogate pair.
  const code = text.charCodeAt(limit - 1);
  return code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit;
}

/**
 * Splits text into parts of at most `limit` characters (UTF-16 units, which is what the platform is
 * assumed to count), on sentence boundaries; a sentence longer than the limit is split on whitespace.
 */
export function splitText(text: string, limit = ZALO_TEXT_LIMIT): string[] {
  const parts: string[] = [];
  let rest = text.replace(/\r\n?/g, "\n").trim();
  while (rest.length > limit) {
    const cut = findCut(rest, limit);
    const head = rest.slice(0, cut).trimEnd();
    if (head) parts.push(head);
    rest = rest.slice(cut).trimStart();
  }
  if (rest) parts.push(rest);
  return parts;
}

export interface RenderedReplies {
  /** Texts to send, in order, each within the limit. */
  messages: string[];
  /** Button payloads in the order of their numbers (options[0] is "1"). */
  options: string[];
}

/**
 * Renders the replies of one turn. Buttons become numbered lines after their reply's text, numbered
 * continuously across the turn. An image cannot be uploaded (sendPhoto takes a public URL), so its
 * caption is sent as text.
 */
export function renderReplies(replies: Reply[], hint = DEFAULT_OPTIONS_HINT, limit = ZALO_TEXT_LIMIT): RenderedReplies {
  const messages: string[] = [];
  const options: string[] = [];
  for (const reply of replies) {
    let text = reply.text.trim();
    const buttons = (reply.buttons ?? []).flat();
    if (buttons.length) {
      const lines = buttons.map((button) => {
        options.push(button.payload);
        return `${options.length}. ${button.label.replace(/\s+/g, " ").trim()}`;
      });
      text = [text, [hint, ...lines].join("\n")].filter(Boolean).join("\n\n");
    }
    messages.push(...splitText(text, limit));
    const caption = reply.image?.caption?.trim();
    if (caption && caption !== reply.text.trim()) messages.push(...splitText(caption, limit));
  }
  return { messages, options };
}

const CHOICE = /^\s*(?:(?:số|so|chọn|chon|#)\s*)?(\d{1,2})\s*[.)]?\s*$/iu;

/** "2", " 2 ", "số 2", "Chọn 3", "2." → the number; anything else → null. */
export function parseChoice(text: string): number | null {
  const match = CHOICE.exec(text.normalize("NFC"));
  if (!match) return null;
  const n = Number(match[1]);
  return n >= 1 ? n : null;
}
