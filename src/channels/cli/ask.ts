// The CLI channel: one question from the arguments, or one message per stdin line.
// Plain output is for people; --json prints one object per input line for tools:
// {"intent","confidence","fallback","answer","suggestions"}.
import { createInterface } from "node:readline";
import type { Pipeline } from "../../core/pipeline.ts";
import type { Reply, TurnResult } from "../../core/types.ts";

export interface AskOptions {
  json: boolean;
  user: string;
  question?: string | undefined;
}

export function parseAskArgs(argv: string[]): AskOptions {
  const options: AskOptions = { json: false, user: "cli-user" };
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--json") options.json = true;
    else if (arg === "--user") options.user = argv[++i] ?? options.user;
    else if (arg.startsWith("--user=")) options.user = arg.slice("--user=".length);
    else words.push(arg);
  }
  if (words.length) options.question = words.join(" ");
  return options;
}

/** Buttons are numbered across the whole turn, as typed choices count them ("2" is the second one). */
export function renderPlain(replies: Reply[]): string {
  let n = 0;
  return replies
    .map((reply) => {
      const buttons = (reply.buttons ?? []).flat().map((b) => `  [${++n}] ${b.label}`);
      return [reply.text, ...buttons].join("\n");
    })
    .join("\n\n");
}

export function renderJson(result: TurnResult): string {
  return JSON.stringify({
    intent: result.outcome.intentId,
    confidence: Math.round(result.outcome.confidence * 1000) / 1000,
    fallback: result.outcome.fallback,
    answer: result.replies[0]?.text ?? "",
    suggestions: result.outcome.suggestions,
  });
}

export async function runAsk(
  pipeline: Pipeline,
  options: AskOptions,
  io: { input: NodeJS.ReadableStream; write: (line: string) => void },
): Promise<number> {
  const ask = async (text: string) =>
    pipeline.handle({ channel: "cli", userId: options.user, chatId: options.user, text, receivedAt: new Date() });

  if (options.question !== undefined) {
    const result = await ask(options.question);
    io.write(options.json ? renderJson(result) : renderPlain(result.replies));
    return 1;
  }
  let count = 0;
  // Batch mode: exactly one output line per input line, in order (answers are awaited one by one).
  for await (const line of createInterface({ input: io.input, crlfDelay: Infinity })) {
    const result = await ask(line);
    io.write(options.json ? renderJson(result) : renderPlain(result.replies).replace(/\s*\n+\s*/g, " | "));
    count++;
  }
  return count;
}
