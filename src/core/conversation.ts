// How people talk around their questions, read from content/conversation.yaml: typed choices in place of
// buttons ("2", "tiếp", "quay lại"), and the form of address a person uses for themselves ("cho bác hỏi"),
// so replies speak to them so. Channel-agnostic: every channel gets the same behaviour.
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import { contentDir } from "./messages.ts";
import { sessionSlot } from "./session.ts";
import { foldDiacritics } from "./text.ts";
import type { Button, DialogueState, Reply } from "./types.ts";

const wordList = z.array(z.string().min(1)).min(1);

const conversationSchema = z
  .object({
    choices: z.array(z.object({ label: z.string().min(1), say: wordList }).strict()).min(1),
    choiceWords: wordList,
    ordinals: z.record(z.string().min(1), z.number().int().min(-1).max(20)),
    smalltalk: z.object({ greet: wordList, thanks: wordList, bye: wordList, ack: wordList, help: wordList }).strict(),
    softeners: wordList,
    followUps: z
      .object({
        markers: wordList,
        tails: wordList,
        corrections: wordList,
        aspects: z.record(z.string().min(1), z.object({ ask: wordList, answer: wordList }).strict()),
      })
      .strict(),
    address: z.object({ forms: wordList, selfVerbs: wordList, before: wordList, notSelf: wordList }).strict(),
  })
  .strict();

type RawConversation = z.infer<typeof conversationSchema>;

/** Folded words of a phrase ("Bước tiếp!" → ["buoc", "tiep"]). */
export function words(text: string): string[] {
  return foldDiacritics(text).split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}

const phrase = (text: string) => words(text).join(" ");

/** "help": the person asks what the bot can do ("bot làm được gì"). */
export type SmalltalkKind = "greet" | "thanks" | "bye" | "ack" | "help";

export interface ConversationLexicon {
  /** Folded phrase → the folded label prefix it chooses. */
  choicePhrases: Map<string, string>;
  choiceWords: Set<string>;
  /** Folded ordinal phrase → position (1-based; -1 for the last). */
  ordinals: Map<string, number>;
  /** Folded phrase → kind, longest phrases first when matching. */
  smalltalk: Map<string, SmalltalkKind>;
  softeners: Set<string>;
  markers: string[];
  /** Endings that make a follow-up ("… thì sao"), in the order they are tried. */
  tails: string[];
  corrections: string[];
  /** Per aspect: how it is asked (longest phrase first) and the words that answer it. */
  aspects: Map<string, { ask: string[]; answer: string[] }>;
  address: { forms: Set<string>; selfVerbs: string[]; before: Set<string>; notSelf: Set<string> };
  /** Longest phrase, in words, of any list (for greedy matching). */
  maxPhraseWords: number;
}

export function compileConversation(raw: RawConversation): ConversationLexicon {
  const choicePhrases = new Map<string, string>();
  for (const choice of raw.choices) for (const say of choice.say) choicePhrases.set(phrase(say), phrase(choice.label));
  const smalltalk = new Map<string, SmalltalkKind>();
  for (const kind of ["greet", "thanks", "bye", "ack", "help"] as const) for (const p of raw.smalltalk[kind]) smalltalk.set(phrase(p), kind);
  const all = [...choicePhrases.keys(), ...smalltalk.keys()];
  return {
    choicePhrases,
    choiceWords: new Set(raw.choiceWords.map(phrase)),
    ordinals: new Map(Object.entries(raw.ordinals).map(([k, v]) => [phrase(k), v])),
    smalltalk,
    softeners: new Set(raw.softeners.map(phrase)),
    markers: raw.followUps.markers.map(phrase),
    tails: raw.followUps.tails.map(phrase),
    corrections: raw.followUps.corrections.map(phrase).sort((a, b) => b.length - a.length),
    aspects: new Map(Object.entries(raw.followUps.aspects).map(([k, v]) => [k, { ask: v.ask.map(phrase).sort((a, b) => b.length - a.length), answer: v.answer.map(phrase) }])),
    address: {
      // Forms keep their diacritics: "cô" is a form of address, "co" may be "có"; "anh" may be "ảnh".
      forms: new Set(raw.address.forms.map((f) => f.normalize("NFC").toLowerCase())),
      selfVerbs: raw.address.selfVerbs.map(phrase),
      before: new Set(raw.address.before.map(phrase)),
      notSelf: new Set([...raw.address.notSelf.map(phrase), ...raw.address.forms.map(phrase)]),
    },
    maxPhraseWords: Math.max(...all.map((p) => p.split(" ").length)),
  };
}

export const conversationFile = path.join(contentDir, "conversation.yaml");
const DEFAULT_FILE = conversationFile;
let cached: ConversationLexicon | undefined;

export function loadConversationLexicon(file = DEFAULT_FILE): ConversationLexicon {
  if (cached && file === DEFAULT_FILE) return cached;
  const result = conversationSchema.safeParse(parse(readFileSync(file, "utf8")));
  if (!result.success) {
    const first = result.error.issues[0];
    throw new Error(`${file}: ${first?.path.join(".") ?? "?"}: ${first?.message ?? "invalid"}`);
  }
  const lexicon = compileConversation(result.data);
  if (file === DEFAULT_FILE) cached = lexicon;
  return lexicon;
}

/** Drops softeners ("nhé", "ạ", "bác", "nhiều") from folded words. */
function withoutSofteners(list: string[], lex: ConversationLexicon): string[] {
  return list.filter((w) => !lex.softeners.has(w));
}

/**
 * The button a typed message stands for, among the buttons the last reply offered: its number ("2",
 * "số 2", "cái thứ hai", "câu cuối"), or a phrase for its label ("tiếp" → "Bước tiếp (2/4)"), or its
 * label typed out. Null when the message is not a choice (then it is a question like any other).
 */
export function pickTypedChoice(text: string, offered: Button[], lex: ConversationLexicon): Button | null {
  if (offered.length === 0) return null;
  const all = words(text);
  if (all.length === 0 || all.length > 7) return null;
  const core = withoutSofteners(all, lex);
  if (core.length === 0) return null;
  const joined = core.join(" ");

  // A number, alone or after a choice word: "2", "so 2", "cai thu 2", "chon cau 2".
  const rest = core.filter((w) => !lex.choiceWords.has(w));
  const spoken = rest.join(" ");
  let position: number | undefined;
  if (rest.length === 1 && /^\d{1,2}$/.test(rest[0]!)) position = Number(rest[0]);
  // A spoken ordinal needs a choice word before it ("cái thứ hai"): a bare "hai" or "năm" may be anything.
  else if (rest.length > 0 && rest.length < core.length && lex.ordinals.has(spoken)) position = lex.ordinals.get(spoken);
  if (position !== undefined) {
    const index = position === -1 ? offered.length - 1 : position - 1;
    return offered[index] ?? null;
  }

  const labels = offered.map((b) => ({ button: b, label: phrase(b.label) }));
  const prefix = lex.choicePhrases.get(joined) ?? lex.choicePhrases.get(all.join(" "));
  if (prefix) return labels.find((l) => l.label.startsWith(prefix))?.button ?? null;
  // The label itself, typed out ("huong dan dang ky muc 2" for a suggestion with that title).
  return labels.find((l) => l.label === joined || l.label === all.join(" "))?.button ?? null;
}

/** The kind of a message made only of small talk ("cảm ơn cháu nhiều nhé" → "thanks"), else null. */
export function smalltalkKind(text: string, lex: ConversationLexicon): SmalltalkKind | null {
  const all = words(text);
  if (all.length === 0 || all.length > 12) return null;
  const kinds = new Set<SmalltalkKind>();
  let i = 0;
  let matched = 0;
  while (i < all.length) {
    let step = 0;
    for (let n = Math.min(lex.maxPhraseWords, all.length - i); n >= 1; n--) {
      const kind = lex.smalltalk.get(all.slice(i, i + n).join(" "));
      if (kind) {
        kinds.add(kind);
        step = n;
        matched++;
        break;
      }
    }
    if (step === 0) {
      if (!lex.softeners.has(all[i]!)) return null;
      step = 1;
    }
    i += step;
  }
  if (matched === 0) return null;
  // "ok cảm ơn", "dạ vâng cảm ơn nhé": the thanks counts; a goodbye wins over a greeting ("chào nhé" at the end);
  // "chào bạn, bạn giúp được gì": the question of what the bot does wins over the greeting.
  for (const kind of ["help", "thanks", "bye", "greet", "ack"] as const) if (kinds.has(kind)) return kind;
  return null;
}

/**
 * How the person speaks of themselves, when they use an elder's or a sibling's form ("cho bác hỏi",
 * "bác muốn làm thẻ", "chú không biết…"): "bác". Null when they do not ("mẹ tôi", "bà nội em").
 */
export function detectAddress(text: string, lex: ConversationLexicon): string | null {
  const typed = text.normalize("NFC").toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  const all = typed.map(foldDiacritics);
  // Typed without any diacritics, only the unmistakable "cho bac hoi" / "giup co voi" shape counts
  // (a bare "co" is usually "có", a bare "anh" may be "ảnh").
  if (typed.every((w, i) => w === all[i])) {
    for (let i = 1; i + 1 < all.length; i++) {
      const form = BARE_FORMS[all[i]!];
      if (form && ["cho", "giup", "chi", "huong dan"].includes(all[i - 1]!) && ["hoi", "voi", "xem"].includes(all[i + 1]!)) return form;
    }
    return null;
  }
  for (let i = 0; i < all.length; i++) {
    const w = typed[i]!;
    if (!lex.address.forms.has(w)) continue;
    const next = all[i + 1];
    if (next && lex.address.notSelf.has(next)) continue;
    const prev = all[i - 1];
    if (prev && lex.address.before.has(prev)) return w;
    const after = all.slice(i + 1, i + 4).join(" ");
    if (lex.address.selfVerbs.some((v) => after === v || after.startsWith(`${v} `))) {
      // "bác" at the start or after a vocative ("cháu ơi bác…") is the speaker; mid-sentence after a
      // noun it is usually someone else ("thẻ của bác tôi").
      if (i === 0 || ["oi", "a", "thi", "ma", "nen", "gio", "con"].includes(prev ?? "")) return w;
    }
  }
  return null;
}

// "bạn" the pronoun; not "bạn bè", "bạn đời", "bạn học"… (a friend is a friend whoever is asking).
/** Forms of address typed without diacritics, in the "cho bac hoi" shape only. */
const BARE_FORMS: Record<string, string> = { bac: "bác", co: "cô", chu: "chú", ong: "ông", anh: "anh", chi: "chị" };

const BAN = /(^|[^\p{L}\p{N}])([Bb])ạn(?![\p{L}\p{N}])(?!\s+(?:bè|đời|gái|trai|học|thân|cùng)(?![\p{L}\p{N}]))/gu;

/** "Bạn mang thẻ…" → "Bác mang thẻ…": the person's own form of address in place of "bạn". */
export function speakTo(text: string, form: string): string {
  const lower = form.normalize("NFC");
  const upper = lower.charAt(0).toUpperCase() + lower.slice(1);
  // "các bạn" stays plural ("các bác"); the capital follows the original word.
  return text.replace(BAN, (_whole, before: string, b: string) => `${before}${b === "B" ? upper : lower}`);
}

/** The replies with "bạn" turned into the person's form of address (texts and captions). */
export function repliesSpeakingTo(replies: Reply[], form: string | null | undefined): Reply[] {
  if (!form) return replies;
  return replies.map((r) => ({
    ...r,
    text: speakTo(r.text, form),
    ...(r.image ? { image: { ...r.image, ...(r.image.caption ? { caption: speakTo(r.image.caption, form) } : {}) } } : {}),
  }));
}

/** The buttons of the last reply, kept so that "2" or "tiếp" typed on any channel chooses one. */
export const offeredSlot = sessionSlot(
  "offered",
  z.object({
    buttons: z.array(z.object({ label: z.string(), payload: z.string() })),
    /** Epoch ms. */
    at: z.number(),
  }),
);
export type OfferedChoices = NonNullable<ReturnType<typeof offeredSlot.get>>;

/** The form of address a person used for themselves ("bác"), kept for the replies of later turns. */
export const addressSlot = sessionSlot("address", z.string());

/** Typed choices refer to what the person just saw; after this long they are questions again. */
export const OFFERED_TTL_MS = 24 * 3_600_000;

export function offeredChoices(state: DialogueState, now = Date.now()): OfferedChoices["buttons"] {
  const offered = offeredSlot.get(state);
  if (!offered || now - offered.at > OFFERED_TTL_MS) return [];
  return offered.buttons;
}
