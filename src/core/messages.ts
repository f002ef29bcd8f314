// The bot's own phrases (greeting, help, refusals…) live in content/messages.yaml, not in code.
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { z } from "zod";

const messagesSchema = z
  .object({
    welcome: z.string().min(1),
    help: z.string().min(1),
    fallback: z.string().min(1),
    error: z.string().min(1),
    rateLimited: z.string().min(1),
    unknownCommand: z.string().min(1),
    emptyMessage: z.string().min(1),
    refused: z.string().min(1),
  })
  .catchall(z.string());

export type Messages = z.infer<typeof messagesSchema>;

export const contentDir = path.resolve(import.meta.dirname, "../../content");

export function loadMessages(file = path.join(contentDir, "messages.yaml")): Messages {
  const result = messagesSchema.safeParse(parse(readFileSync(file, "utf8")));
  if (!result.success) {
    const first = result.error.issues[0];
    throw new Error(`${file}: ${first?.path.join(".") ?? "?"}: ${first?.message ?? "invalid"}`);
  }
  return result.data;
}

/** Fills {name} placeholders. */
export function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (key in values ? String(values[key]) : whole));
}
