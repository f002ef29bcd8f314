// Acceptance sets written by people who never saw the intents (format: ../shared/eval/README.md):
// single questions with groups of expected keywords, out-of-scope lines that must get the polite
// fallback, and short dialogues whose later turns only make sense after the earlier ones.
//
// The sets measure; they never train. Nothing here reads them into the matcher, the lexicon or tests.
import { z } from "zod";
import type { Pipeline } from "../core/pipeline.ts";
import { foldDiacritics } from "../core/text.ts";

/** Every group needs one keyword found in the reply (keywords are stored folded, ASCII). */
const expectSchema = z.array(z.array(z.string().min(1)).min(1)).min(1);

const singleSchema = z.union([
  z.object({ topic: z.string().min(1), q: z.string().min(1), expect: expectSchema }).strict(),
  z.object({ topic: z.string().min(1), q: z.string().min(1), fallback: z.literal(true) }).strict(),
]);
export type AcceptanceItem = z.infer<typeof singleSchema>;

const dialogueSchema = z
  .object({
    topic: z.string().min(1),
    turns: z.array(z.object({ q: z.string().min(1), expect: expectSchema }).strict()).min(1),
  })
  .strict();
export type AcceptanceDialogue = z.infer<typeof dialogueSchema>;

export class AcceptanceFileError extends Error {
  override name = "AcceptanceFileError";
}

function parseLines<T>(text: string, schema: z.ZodType<T>, file: string): T[] {
  const items: T[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (!line.trim()) return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      throw new AcceptanceFileError(`${file}:${index + 1}: not a JSON object`);
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new AcceptanceFileError(`${file}:${index + 1}: ${issue?.path.join(".") || "line"}: ${issue?.message ?? "invalid"}`);
    }
    items.push(parsed.data);
  });
  if (items.length === 0) throw new AcceptanceFileError(`${file}: no items`);
  return items;
}

export const parseAcceptanceItems = (text: string, file = "input") => parseLines(text, singleSchema, file);
export const parseAcceptanceDialogues = (text: string, file = "input") => parseLines(text, dialogueSchema, file);

/** The sets' own folding: NFD, combining marks out, đ → d, lower case. */
export function foldForAcceptance(text: string): string {
  return foldDiacritics(text);
}

/** The groups with no keyword in the reply (empty: the reply passes). */
export function missingGroups(reply: string, expect: string[][]): string[][] {
  const folded = foldForAcceptance(reply);
  return expect.filter((group) => !group.some((keyword) => folded.includes(foldForAcceptance(keyword))));
}

/** What the bot did with one message, as the runner sees it through the pipeline. */
export interface BotTurn {
  /** The texts the person reads (button labels are not counted: a button is not an answer). */
  text: string;
  intentId: string | null;
  /** "Ý bạn là…" offered. */
  suggested: boolean;
  /** The polite fallback (topic menu, officer), nothing answered, nothing suggested. */
  fallback: boolean;
}

/** Sends one message in a conversation; `session` names the conversation (a fresh one per dialogue). */
export type Ask = (text: string, session: string) => Promise<BotTurn>;

/** Asks through the real pipeline on the CLI channel, one user per session. */
export function pipelineAsk(pipeline: Pipeline): Ask {
  return async (q, session) => {
    const { replies, outcome } = await pipeline.handle({
      channel: "cli",
      userId: `eval-${session}`,
      chatId: `eval-${session}`,
      text: q,
      receivedAt: new Date(),
    });
    const suggested = outcome.suggestions.length > 0;
    return {
      text: replies.map((r) => r.text).join("\n"),
      intentId: outcome.intentId,
      suggested,
      fallback: outcome.fallback && !suggested,
    };
  };
}

export type ItemVerdict = "pass" | "wrong" | "suggested" | "fallback" | "oos-pass" | "oos-answered";

export interface ItemResult {
  item: AcceptanceItem;
  verdict: ItemVerdict;
  turn: BotTurn;
  missing: string[][];
}

export function judgeItem(item: AcceptanceItem, turn: BotTurn): ItemResult {
  if ("fallback" in item) {
    return { item, turn, missing: [], verdict: turn.fallback ? "oos-pass" : "oos-answered" };
  }
  const missing = missingGroups(turn.text, item.expect);
  const verdict: ItemVerdict = missing.length === 0 ? "pass" : turn.suggested ? "suggested" : turn.fallback ? "fallback" : "wrong";
  return { item, turn, missing, verdict };
}

export async function runItems(items: AcceptanceItem[], ask: Ask): Promise<ItemResult[]> {
  const results: ItemResult[] = [];
  // Each question in its own session: a question is asked cold, as a first message.
  for (const [index, item] of items.entries()) results.push(judgeItem(item, await ask(item.q, `item-${index}`)));
  return results;
}

export interface DialogueResult {
  dialogue: AcceptanceDialogue;
  turns: { q: string; turn: BotTurn; missing: string[][] }[];
  passed: boolean;
}

export async function runDialogues(dialogues: AcceptanceDialogue[], ask: Ask): Promise<DialogueResult[]> {
  const results: DialogueResult[] = [];
  for (const [index, dialogue] of dialogues.entries()) {
    const turns: DialogueResult["turns"] = [];
    for (const t of dialogue.turns) {
      const turn = await ask(t.q, `dialogue-${index}`);
      turns.push({ q: t.q, turn, missing: missingGroups(turn.text, t.expect) });
    }
    results.push({ dialogue, turns, passed: turns.every((t) => t.missing.length === 0) });
  }
  return results;
}

/** Topic family: "vneid-otp" → "vneid", "oos" → "oos". */
export function topicFamily(topic: string): string {
  const cut = topic.indexOf("-");
  return cut === -1 ? topic : topic.slice(0, cut);
}

export interface ItemSummary {
  total: number;
  passed: number;
  inScope: number;
  inScopePassed: number;
  suggested: number;
  fallback: number;
  wrong: number;
  outOfScope: number;
  outOfScopeCaught: number;
  byFamily: Map<string, { total: number; passed: number }>;
}

export function summarizeItems(results: ItemResult[]): ItemSummary {
  const summary: ItemSummary = {
    total: results.length,
    passed: 0,
    inScope: 0,
    inScopePassed: 0,
    suggested: 0,
    fallback: 0,
    wrong: 0,
    outOfScope: 0,
    outOfScopeCaught: 0,
    byFamily: new Map(),
  };
  for (const r of results) {
    const ok = r.verdict === "pass" || r.verdict === "oos-pass";
    if (ok) summary.passed++;
    const family = topicFamily(r.item.topic);
    const entry = summary.byFamily.get(family) ?? { total: 0, passed: 0 };
    entry.total++;
    if (ok) entry.passed++;
    summary.byFamily.set(family, entry);
    if ("fallback" in r.item) {
      summary.outOfScope++;
      if (ok) summary.outOfScopeCaught++;
      continue;
    }
    summary.inScope++;
    if (ok) summary.inScopePassed++;
    if (r.verdict === "suggested") summary.suggested++;
    if (r.verdict === "fallback") summary.fallback++;
    if (r.verdict === "wrong") summary.wrong++;
  }
  return summary;
}

const pct = (n: number, d: number) => (d === 0 ? "—" : `${((100 * n) / d).toFixed(1)}%`);
const oneLine = (text: string, max = 140) => {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

export function formatItemReport(results: ItemResult[], options: { failures: boolean }): string {
  const s = summarizeItems(results);
  const lines = [
    `acceptance: ${s.passed}/${s.total} = ${pct(s.passed, s.total)}`,
    `  in scope ${s.inScopePassed}/${s.inScope} = ${pct(s.inScopePassed, s.inScope)}; of in-scope: "Ý bạn là" ${pct(s.suggested, s.inScope)}, fallback ${pct(s.fallback, s.inScope)}, answered wrong ${pct(s.wrong, s.inScope)}`,
    `  out of scope caught ${s.outOfScopeCaught}/${s.outOfScope} = ${pct(s.outOfScopeCaught, s.outOfScope)}`,
    "  by topic:",
    ...[...s.byFamily.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([family, e]) => `    ${family.padEnd(8)} ${String(e.passed).padStart(3)}/${String(e.total).padEnd(3)} ${pct(e.passed, e.total)}`),
  ];
  if (options.failures) {
    const failed = results.filter((r) => r.verdict !== "pass" && r.verdict !== "oos-pass");
    if (failed.length) lines.push("  failures:");
    for (const r of failed) {
      const got = r.turn.intentId ?? (r.turn.suggested ? "Ý bạn là" : "fallback");
      const missing = r.missing.length ? ` missing ${r.missing.map((g) => g.join("|")).join(" + ")}` : "";
      lines.push(`    [${r.verdict}] ${r.item.topic}: «${oneLine(r.item.q, 100)}» → ${got}${missing}`);
      lines.push(`        ${oneLine(r.turn.text)}`);
    }
  }
  return lines.join("\n");
}

export function formatDialogueReport(results: DialogueResult[], options: { failures: boolean }): string {
  const turns = results.flatMap((r) => r.turns);
  const turnsPassed = turns.filter((t) => t.missing.length === 0).length;
  const passed = results.filter((r) => r.passed).length;
  const lines = [
    `dialogues: ${passed}/${results.length} whole = ${pct(passed, results.length)}; turns ${turnsPassed}/${turns.length} = ${pct(turnsPassed, turns.length)}`,
  ];
  if (options.failures) {
    for (const r of results.filter((d) => !d.passed)) {
      lines.push(`  ✗ ${r.dialogue.topic}`);
      for (const t of r.turns) {
        const mark = t.missing.length ? "✗" : "✓";
        const got = t.turn.intentId ?? (t.turn.suggested ? "Ý bạn là" : t.turn.fallback ? "fallback" : "—");
        lines.push(`     ${mark} «${oneLine(t.q, 80)}» → ${got}${t.missing.length ? ` missing ${t.missing.map((g) => g.join("|")).join(" + ")}` : ""}`);
        if (t.missing.length) lines.push(`         ${oneLine(t.turn.text)}`);
      }
    }
  }
  return lines.join("\n");
}
