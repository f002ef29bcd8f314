// The FAQ knowledge base: intents/*.yaml (what people ask), content/<intent-id>.md (what we answer)
// and intents/lexicon.yaml (how people abbreviate). Loaded once at start-up, shape-checked with zod,
// then checked for content problems; any problem stops start-up with the file and field named.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import { compileLexicon, type Lexicon, normalize } from "./normalize.ts";

export interface GuideStep {
  title: string;
  text: string;
}

export interface Intent {
  id: string;
  title: string;
  /** The intents file it comes from, without extension ("vneid", "cancuoc"…). */
  topic: string;
  examples: string[];
  keywords: string[];
  related: string[];
  basis: string[];
  /** ISO date (YYYY-MM-DD) of the last review of the answer. */
  reviewed: string;
  /** Text before the first "## " heading of content/<id>.md. */
  answer: string;
  /** One per "## " section of content/<id>.md, in order. */
  steps: GuideStep[];
  /** Where it was read from (relative to the repository root), for problem reports. */
  source?: { intents: string; content: string | null };
}

export interface KnowledgeBase {
  intents: Intent[];
  byId: Map<string, Intent>;
  lexicon: Lexicon;
  /** Topic names (intents file names) in menu order. */
  topics: string[];
  /** content/answer-rules.yaml: what makes a short answer actionable; checked when present. */
  answerRules?: AnswerRules;
}

/**
 * A short answer must tell the person what to do and where: at least one sentence holds a verb of
 * `actions` used as an instruction ("Bạn đến…", "gọi…", "…, rồi bấm…") and a place or channel of
 * `places` ("Công an cấp xã", "dichvucong.gov.vn", "1900 0368"…). A verb counts as an instruction
 * when it opens a clause: at the start of the sentence, after a comma, colon, dash or bullet, or after
 * a word of `clauseStarts` ("thì", "hoặc"), with only words of `leadIns` ("bạn", "hãy", "có thể")
 * between. So "mã được gửi đến số điện thoại đã đăng ký với VNeID" names causes, not an action.
 * The lists live in content/answer-rules.yaml so content owners can extend them; loaded, their words
 * are NFC and lower case, and `leadIns` longest first.
 */
export interface AnswerRules {
  actions: string[];
  places: string[];
  leadIns: string[];
  clauseStarts: string[];
}

/** Limits that keep every message readable on Telegram and Zalo. */
export const LIMITS = {
  /** Characters of the answer shown before the first button. */
  answerChars: 700,
  /** Characters of one guide step (its title, a line break and its text). */
  stepChars: 700,
  /** Characters of an intent title, which is also a button label ("Ý bạn là…"). */
  titleChars: 40,
  minExamples: 10,
  /** Buttons of one menu (topics, or the intents of one topic), so it fits a phone screen. */
  menuChoices: 8,
} as const;

/** Menu order of the topics we know; other intents files follow alphabetically. */
const TOPIC_ORDER = ["vneid", "vneid_loi", "cancuoc", "cancuoc_doi", "cutru", "dichvucong", "giayto", "khac"];

export const repoRoot = path.resolve(import.meta.dirname, "../../..");

const nonEmpty = z.string().trim().min(1, { message: "must not be empty" });

// A list item like `- Luật X (Điều 5: …)` is read by YAML as a key/value pair: say so.
const text = (what: string) =>
  z.union([z.string(), z.number()], {
    error: (issue) =>
      issue.input !== null && typeof issue.input === "object"
        ? `expected ${what} as text; put the line in double quotes, YAML reads ": " inside it as a key/value pair`
        : `expected ${what} as text`,
  }).transform(String);

const reviewedSchema = z.union([
  z.string().trim(),
  z.date().transform((d) => d.toISOString().slice(0, 10)),
]);

const intentSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9_]*$/, { message: "expected lower-case letters, digits and _ (e.g. vneid_kich_hoat)" }),
  title: nonEmpty,
  // Strings only; empty strings are reported by validateKnowledgeBase, with the intent named.
  examples: z.array(text("an example question")),
  keywords: z.array(text("a keyword")).default([]),
  related: z.array(z.string()).default([]),
  basis: z.array(text("an official source").pipe(nonEmpty)).default([]),
  reviewed: reviewedSchema,
});

const intentsFileSchema = z.array(intentSchema, { message: "expected a YAML list of intents (- id: …)" });

const lexiconSchema = z.object({
  abbreviations: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).nullish(),
  phrases: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).nullish(),
  fillers: z.array(z.union([z.string(), z.number()]).transform(String)).nullish(),
  exact: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).nullish(),
});

// Words are folded to the form the check compares (NFC, lower case) once, when the rules are loaded.
const ruleWord = (what: string) => text(what).pipe(nonEmpty).transform((w) => w.normalize("NFC").toLowerCase());
const answerRulesSchema = z.object({
  actions: z.array(ruleWord("an action word")).min(1),
  places: z.array(ruleWord("a place or channel")).min(1),
  // Longest first, so "bạn hãy" is stripped before "hãy".
  leadIns: z.array(ruleWord("a lead-in word")).default([]).transform((ws) => ws.sort((x, y) => y.length - x.length)),
  clauseStarts: z.array(ruleWord("a clause-opening word")).default([]),
});

export class KnowledgeBaseError extends Error {
  constructor(
    message: string,
    readonly problems: string[] = [message],
  ) {
    super(message);
    this.name = "KnowledgeBaseError";
  }
}

function zodProblem(file: string, error: z.ZodError, data: unknown): string {
  const issue = error.issues[0];
  if (!issue) return `${file}: invalid`;
  const [first, ...rest] = issue.path;
  let where = issue.path.join(".");
  if (typeof first === "number" && Array.isArray(data)) {
    const id = (data[first] as { id?: unknown } | undefined)?.id;
    where = `intent #${first + 1}${typeof id === "string" ? ` (${id})` : ""}${rest.length ? `, field ${rest.join(".")}` : ""}`;
  } else if (where) {
    where = `field ${where}`;
  }
  return `${file}: ${where ? `${where}: ` : ""}${issue.message}`;
}

function readYaml(file: string, root: string): unknown {
  const rel = path.relative(root, file);
  try {
    return parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new KnowledgeBaseError(`${rel}: not valid YAML: ${(error as Error).message.split("\n")[0]}`);
  }
}

/** Splits content/<id>.md: text before the first "## " is the answer; each "## title" section a step. */
export function parseContent(markdown: string): { answer: string; steps: GuideStep[] } {
  const text = markdown.replace(/\r\n?/g, "\n").normalize("NFC");
  const sections = text.split(/^## /m);
  const answer = (sections.shift() ?? "").trim();
  const steps = sections.map((section) => {
    const newline = section.indexOf("\n");
    const title = (newline === -1 ? section : section.slice(0, newline)).trim();
    const body = newline === -1 ? "" : section.slice(newline + 1).trim();
    return { title, text: body };
  });
  return { answer, steps };
}

export function loadLexicon(file: string, root = path.dirname(path.dirname(file))): Lexicon {
  if (!existsSync(file)) return compileLexicon();
  const data = readYaml(file, root) ?? {};
  const result = lexiconSchema.safeParse(data);
  if (!result.success) throw new KnowledgeBaseError(zodProblem(path.relative(root, file), result.error, data));
  return compileLexicon(result.data);
}

/**
 * Reads intents/*.yaml (except lexicon.yaml), content/<id>.md and intents/lexicon.yaml under `root`.
 * Throws KnowledgeBaseError naming the file and field on a malformed file, or listing every problem
 * validateKnowledgeBase finds.
 */
export function loadKnowledgeBase(root: string = repoRoot): KnowledgeBase {
  const intentsDir = path.join(root, "intents");
  const contentDir = path.join(root, "content");
  if (!existsSync(intentsDir)) throw new KnowledgeBaseError(`${intentsDir}: directory not found`);
  const lexicon = loadLexicon(path.join(intentsDir, "lexicon.yaml"), root);
  const topicOf = (file: string) => file.replace(/\.ya?ml$/, "");
  const files = readdirSync(intentsDir)
    .filter((f) => /\.ya?ml$/.test(f) && !/^lexicon\.ya?ml$/.test(f))
    .sort((a, b) => rank(topicOf(a)) - rank(topicOf(b)) || a.localeCompare(b));
  const intents: Intent[] = [];
  const topics: string[] = [];
  for (const fileName of files) {
    const file = path.join(intentsDir, fileName);
    const rel = path.relative(root, file);
    const topic = topicOf(fileName);
    const data = readYaml(file, root) ?? [];
    const result = intentsFileSchema.safeParse(data);
    if (!result.success) throw new KnowledgeBaseError(zodProblem(rel, result.error, data));
    topics.push(topic);
    for (const raw of result.data) {
      const contentFile = path.join(contentDir, `${raw.id}.md`);
      const hasContent = existsSync(contentFile);
      const { answer, steps } = hasContent ? parseContent(readFileSync(contentFile, "utf8")) : { answer: "", steps: [] };
      intents.push({
        id: raw.id,
        title: raw.title.normalize("NFC"),
        topic,
        examples: raw.examples.map((e) => e.normalize("NFC")),
        keywords: raw.keywords.map((k) => k.normalize("NFC")),
        related: raw.related,
        basis: raw.basis,
        reviewed: raw.reviewed,
        answer,
        steps,
        source: { intents: rel, content: hasContent ? path.relative(root, contentFile) : null },
      });
    }
  }
  const kb = buildKnowledgeBase(intents, lexicon, topics);
  kb.answerRules = loadAnswerRules(path.join(contentDir, "answer-rules.yaml"), root);
  const problems = validateKnowledgeBase(kb);
  if (existsSync(contentDir)) {
    for (const file of readdirSync(contentDir).filter((f) => f.endsWith(".md")).sort()) {
      if (!kb.byId.has(file.slice(0, -3))) problems.push(`content/${file}: no intent has the id ${file.slice(0, -3)}`);
    }
  }
  if (problems.length > 0) {
    throw new KnowledgeBaseError(
      `knowledge base has ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join("\n")}`,
      problems,
    );
  }
  return kb;
}

function loadAnswerRules(file: string, root: string): AnswerRules | undefined {
  if (!existsSync(file)) return undefined;
  const data = readYaml(file, root);
  const result = answerRulesSchema.safeParse(data);
  if (!result.success) throw new KnowledgeBaseError(zodProblem(path.relative(root, file), result.error, data));
  return result.data;
}

const isWordChar = (ch: string | undefined) => ch !== undefined && /[\p{L}\p{N}]/u.test(ch);

/** Start offsets of `phrase` in `sentence` as a whole word or phrase ("đến", not inside "điện"). */
function phraseOffsets(sentence: string, needle: string): number[] {
  const offsets: number[] = [];
  for (let at = sentence.indexOf(needle); at !== -1; at = sentence.indexOf(needle, at + 1)) {
    if (!isWordChar(sentence[at - 1]) && !isWordChar(sentence[at + needle.length])) offsets.push(at);
  }
  return offsets;
}

function endsWithWord(text: string, words: string[]): string | undefined {
  return words.find((w) => text.endsWith(w) && !isWordChar(text[text.length - w.length - 1]));
}

/** True when the text before a verb leaves the verb opening a clause (see AnswerRules). */
function opensClause(before: string, rules: AnswerRules): boolean {
  let rest = before.trimEnd();
  for (let lead = endsWithWord(rest, rules.leadIns); lead; lead = endsWithWord(rest, rules.leadIns)) {
    rest = rest.slice(0, -lead.length).trimEnd();
  }
  return rest === "" || /[,:;(\-–•«]$/.test(rest) || endsWithWord(rest, rules.clauseStarts) !== undefined;
}

/** True when one sentence of the answer gives an instruction and names where (see AnswerRules). */
export function answerHasAction(answer: string, rules: AnswerRules): boolean {
  // Sentences end at . ! ? or a line break; a dot inside "dichvucong.gov.vn" or "70.000" is no end.
  const sentences = answer.normalize("NFC").toLowerCase().split(/[.!?](?=\s|$)|\n/);
  return sentences.some(
    (s) =>
      rules.places.some((p) => phraseOffsets(s, p).length > 0) &&
      rules.actions.some((a) => phraseOffsets(s, a).some((at) => opensClause(s.slice(0, at), rules))),
  );
}

function rank(topic: string): number {
  const i = TOPIC_ORDER.indexOf(topic);
  return i === -1 ? TOPIC_ORDER.length : i;
}

/** Assembles a knowledge base from intents (used by the loader, tests and synthetic benchmarks). */
export function buildKnowledgeBase(intents: Intent[], lexicon: Lexicon = compileLexicon(), topics?: string[]): KnowledgeBase {
  const byId = new Map<string, Intent>();
  for (const intent of intents) if (!byId.has(intent.id)) byId.set(intent.id, intent);
  return { intents, byId, lexicon, topics: topics ?? [...new Set(intents.map((i) => i.topic))] };
}

function isIsoDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

/** Every content problem, one line each ("intents/vneid.yaml: vneid_otp: …"); empty when all is well. */
export function validateKnowledgeBase(kb: KnowledgeBase): string[] {
  const problems: string[] = [];
  const ids = new Set(kb.intents.map((i) => i.id));
  if (kb.topics.length > LIMITS.menuChoices) {
    problems.push(`intents/: ${kb.topics.length} topics, at most ${LIMITS.menuChoices} fit the topic menu (merge two intents files)`);
  }
  for (const topic of kb.topics) {
    const count = kb.intents.filter((i) => i.topic === topic).length;
    if (count > LIMITS.menuChoices) {
      problems.push(`intents/${topic}.yaml: ${count} intents, at most ${LIMITS.menuChoices} fit one topic menu (move some to another topic)`);
    }
  }
  const seen = new Map<string, Intent>();
  const exampleOwner = new Map<string, { intent: Intent; text: string }>();
  for (const intent of kb.intents) {
    const where = `${intent.source?.intents ?? intent.topic}: ${intent.id}`;
    const first = seen.get(intent.id);
    if (first) {
      problems.push(`${where}: duplicate id (also in ${first.source?.intents ?? first.topic})`);
    } else {
      seen.set(intent.id, intent);
    }
    if (!intent.title.trim()) problems.push(`${where}: title is empty`);
    if (intent.title.length > LIMITS.titleChars) {
      problems.push(`${where}: title is ${intent.title.length} characters, at most ${LIMITS.titleChars} (it is a button label)`);
    }
    const examples = intent.examples.filter((e) => e.trim());
    if (examples.length < intent.examples.length) {
      problems.push(`${where}: ${intent.examples.length - examples.length} empty example(s)`);
    }
    if (examples.length < LIMITS.minExamples) {
      problems.push(`${where}: ${examples.length} example(s), at least ${LIMITS.minExamples} needed`);
    }
    // Within one intent, "dk tạm trú" next to "đăng ký tạm trú" is a deliberate typing variant:
    // only the very same text twice is a problem. Across intents, equal after normalisation is.
    const own = new Set<string>();
    for (const example of examples) {
      const literal = example.trim().normalize("NFC").toLowerCase();
      if (own.has(literal)) {
        problems.push(`${where}: example "${example}" is listed twice`);
        continue;
      }
      own.add(literal);
      const key = normalize(example, kb.lexicon).folded;
      if (!key) {
        problems.push(`${where}: example "${example}" has no words`);
        continue;
      }
      const other = exampleOwner.get(key);
      if (other && other.intent.id !== intent.id) {
        problems.push(`${where}: example "${example}" is also an example of ${other.intent.id} ("${other.text}")`);
      } else if (!other) {
        exampleOwner.set(key, { intent, text: example });
      }
    }
    for (const related of intent.related) {
      if (related === intent.id) problems.push(`${where}: related lists the intent itself`);
      else if (!ids.has(related)) problems.push(`${where}: related id "${related}" does not exist`);
    }
    if (intent.basis.length === 0) problems.push(`${where}: basis is empty (name the official source)`);
    if (!isIsoDate(intent.reviewed)) problems.push(`${where}: reviewed "${intent.reviewed}" is not a date (YYYY-MM-DD)`);
    const content = intent.source ? (intent.source.content ?? `content/${intent.id}.md`) : `content/${intent.id}.md`;
    if (intent.source && intent.source.content === null) {
      problems.push(`${where}: content file content/${intent.id}.md is missing`);
    } else if (!intent.answer.trim()) {
      problems.push(`${content}: the answer (text before the first "## ") is empty`);
    }
    if (kb.answerRules && intent.answer.trim() && !answerHasAction(intent.answer, kb.answerRules)) {
      problems.push(
        `${content}: the answer gives no action: no sentence says what to do and where (content/answer-rules.yaml), e.g. "Bạn đến Công an cấp xã, mang thẻ căn cước"`,
      );
    }
    if (intent.answer.length > LIMITS.answerChars) {
      problems.push(`${content}: answer is ${intent.answer.length} characters, at most ${LIMITS.answerChars}`);
    }
    intent.steps.forEach((step, n) => {
      const length = step.title.length + 1 + step.text.length;
      if (!step.title.trim()) problems.push(`${content}: step ${n + 1} has no title`);
      if (!step.text.trim()) problems.push(`${content}: step ${n + 1} ("${step.title}") is empty`);
      if (length > LIMITS.stepChars) {
        problems.push(`${content}: step ${n + 1} ("${step.title}") is ${length} characters, at most ${LIMITS.stepChars}`);
      }
    });
  }
  return problems;
}
