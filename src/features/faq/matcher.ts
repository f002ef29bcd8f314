// Finds the intent a citizen's message is about, and how sure we are.
//
// Evidence, from indexes precomputed in the constructor:
//  - token level: IDF-weighted unigram and bigram overlap between the message and each intent
//    (examples + keywords + title), so word order and long rambling messages do not defeat it;
//    posting lists give this for every intent at once, and the best CANDIDATE_POOL go on;
//  - example level, for those candidates only: cosine similarity (IDF² weights) with the closest
//    example, and how much of one keyword / one example the message contains;
//  - fuse.js: words we do not know are matched fuzzily to the vocabulary ("hoatt", "vneidd",
//    "thuongg"), and words typed joined up are split ("kichhoat" → "kich hoat");
//  - accents: when the user typed diacritics, "vàng" is not evidence for an intent that only ever
//    says "vắng" (folded, both are "vang"); tone-mark placement ("khoá"/"khóa") does not matter;
//  - fillers from the lexicon ("ạ", "nhé", "lỡ") are ignored.
// Two small logistic models turn the evidence into P(the best intent is right) — the confidence —
// and P(the message is in scope). They and the thresholds are fitted by `npm run faq -- calibrate`
// on the intents' own examples (cross-validated) and a hand-written list, never on the dev set:
//   answer   when the confidence ≥ answerThreshold and no close runner-up is answerable too;
//   suggest  ("Ý bạn là…", best + up to 3 runners-up) when not answered but P(in scope) ≥ suggestThreshold;
//   fallback otherwise (topic menu, offer of an officer).
import Fuse from "fuse.js";
import type { KnowledgeBase } from "./knowledge.ts";
import { accentKey, foldDiacritics, normalize, type Normalized } from "./normalize.ts";
import { type Calibration, CALIBRATION, type ConfidenceModel } from "./calibration.ts";
import { type ClassifierState, NgramClassifier, type TrainingText } from "./classifier.ts";

export type MatchDecision = "answer" | "suggest" | "fallback";

export interface MatchCandidate {
  intentId: string;
  /** Estimated probability that this intent is what the user asked, in [0, 1]. */
  confidence: number;
}

export interface MatchResult {
  /**
   * The most likely intent, also when the decision is "fallback" (useful for logging what was nearly
   * matched); null only when nothing in the message matched anything. Read `decision` before answering.
   */
  best: MatchCandidate | null;
  /** Up to `maxRunnersUp` next intents, most likely first (for the "Ý bạn là…" buttons with `best`). */
  runnersUp: MatchCandidate[];
  /** "answer": answer `best`; "suggest": offer `best` + `runnersUp`; "fallback": topic menu / officer. */
  decision: MatchDecision;
}

export interface MatcherOptions {
  /**
   * Confidence at or above which `best` is answered directly (default: calibrated), unless a close
   * runner-up would be answered too (then: suggest).
   */
  answerThreshold?: number;
  /** Below answerThreshold: suggestions are offered when P(in scope) is at least this (default: calibrated). */
  suggestThreshold?: number;
  /** At most this many runners-up (default 3). */
  maxRunnersUp?: number;
  /** Runners-up need at least this share of the best intent's ranking score (default 0.6). */
  runnerUpRatio?: number;
  /** Fuzzy (fuse.js) matching of unknown words (default true). */
  fuzzy?: boolean;
  /** Logistic models for the confidence and the scope (default: the calibrated ones in calibration.ts). */
  calibration?: Calibration;
  /**
   * Weight of the learned model's posterior (classifier.ts) in the ranking score (default
   * LEARNED_RANK_WEIGHT); 0 ranks on the hand-built evidence alone. Its posterior is always an input
   * of the confidence.
   */
  learnedRankWeight?: number;
  /**
   * Train and use the learned model (default true). Off, its inputs are 0: for ablations only, since
   * the calibration was fitted with it.
   */
  learned?: boolean;
}

/** Evidence for one candidate intent. */
export interface CandidateFeatures {
  intent: number;
  /** Share of the message's IDF weight found in the intent (unigrams + bigrams). */
  coverage: number;
  /** Best cosine similarity with one example, keyword or the title. */
  cosine: number;
  /** Ranking score: mean of coverage and cosine, plus a share of the learned model's posterior. */
  score: number;
  /** Share of the message's word pairs that the intent also uses (1 for one-word messages). */
  bigramRate: number;
  /** IDF of the strongest word the intent does not explain, over the IDF of a word used by one intent. */
  maxMissing: number;
  /** Best share of one keyword (or the title) found in the message. */
  keywordCover: number;
  /** Best share of one example found in the message. */
  exampleCover: number;
  /** Weight of the strongest word or pair the intent matches, over the IDF of a word used by one intent. */
  maxMatched: number;
  /** The learned model's P(this intent | message) (classifier.ts). */
  learned: number;
}

export interface QueryAnalysis {
  normalized: Normalized;
  /** Candidates by descending score (at most a dozen). */
  candidates: CandidateFeatures[];
  /** Share of the message's word IDF weight that no intent uses at all. */
  unknown: number;
  /** Number of tokens. */
  length: number;
}

/** Names of the confidence model's inputs, in order (see featureVector). */
export const FEATURE_NAMES = [
  "coverage",
  "cosine",
  "margin",
  "unknown",
  "log1p(length)",
  "bigramRate",
  "maxMissing",
  "keywordCover",
  "exampleCover",
  "maxMatched",
  "coverageMargin",
  "cosineMargin",
  "keywordMargin",
  "learned",
  "learnedMargin",
] as const;

/** Inputs of the confidence model for candidate `index` (0 = best). */
export function featureVector(analysis: QueryAnalysis, index: number): number[] {
  const c = analysis.candidates[index];
  if (!c) return [];
  const other = index === 0 ? analysis.candidates[1] : analysis.candidates[0];
  const margin = c.score - (other?.score ?? 0);
  // How far ahead of every other candidate it is on each kind of evidence.
  let coverage = 0;
  let cosine = 0;
  let keyword = 0;
  let learned = 0;
  analysis.candidates.forEach((o, k) => {
    if (k === index) return;
    coverage = Math.max(coverage, o.coverage);
    cosine = Math.max(cosine, o.cosine);
    keyword = Math.max(keyword, o.keywordCover);
    learned = Math.max(learned, o.learned);
  });
  return [
    c.coverage,
    c.cosine,
    margin,
    analysis.unknown,
    Math.log1p(analysis.length),
    c.bigramRate,
    c.maxMissing,
    c.keywordCover,
    c.exampleCover,
    c.maxMatched,
    c.coverage - coverage,
    c.cosine - cosine,
    c.keywordCover - keyword,
    c.learned,
    c.learned - learned,
  ];
}

/** The logistic model's probability for a feature vector. */
export function applyModel(model: ConfidenceModel, features: number[]): number {
  let z = model.bias;
  for (let i = 0; i < features.length; i++) z += (model.weights[i] ?? 0) * features[i]!;
  return 1 / (1 + Math.exp(-z));
}

// --- structure of the evidence (not calibration) ---
/** Weight of bigram evidence relative to unigrams. */
const BIGRAM_WEIGHT = 0.6;
/** Credit for a word typed with other diacritics than every form the intent uses ("mật" vs "mất"). */
const ACCENT_MISMATCH = 0.15;
/** Credit for a word found only through fuzzy matching, times (1 - fuse score). */
const FUZZY_CREDIT = 0.75;
/** Fuse score above which a fuzzy word match is ignored. */
const FUZZY_MAX_SCORE = 0.3;
/** Only words of this many letters or more are matched fuzzily. */
const FUZZY_MIN_CHARS = 5;
const FUZZY_CACHE = 4096;
/** Intents (best by token-level coverage) whose examples are compared one by one. */
const CANDIDATE_POOL = 40;
/** A runner-up this close to the best (ranking score), and answerable itself, makes the message ambiguous. */
const RIVAL_RATIO = 0.8;
/** A lone in-scope candidate is answered from this confidence on (below it, the evidence is too thin). */
const LONE_MIN_CONFIDENCE = 0.3;
/** Candidates kept after ranking. */
const CANDIDATES = 12;
/** Words whose IDF is below this do not count in the example-level comparison (too common to matter). */
const MIN_DOC_IDF = 0.25;
/** Share of the learned model's posterior in the ranking score (see MatcherOptions.learnedRankWeight). */
const LEARNED_RANK_WEIGHT = 0.2;

interface QueryTerm {
  id: number;
  weight: number;
  /**
   * Bit of the spelling the user typed among the word's known spellings with diacritics (see
   * accentVariants); 0 when typed without diacritics (no accent evidence).
   */
  accentBit: number;
  /** 1 for a known word, less for a fuzzy match. */
  credit: number;
  bigram: boolean;
}

/** A message as weighted terms. */
interface Query {
  uniTerms: QueryTerm[];
  biTerms: QueryTerm[];
  /** IDF weight of the distinct words (known or not). */
  totalUni: number;
  /** IDF weight of the distinct words no intent uses. */
  unknownUni: number;
  unknownCount: number;
  /** Weight of the known word pairs. */
  totalBi: number;
  /** Distinct word pairs in the message. */
  pairCount: number;
  /** Tokens after fillers and splitting. */
  length: number;
}

/**
 * What the matcher precomputes from a knowledge base (the fields of FaqMatcher of the same names): plain
 * data only — typed arrays, maps, lists — so that it can be cached between runs (loadFaqIndex in index.ts).
 */
export interface MatcherIndex {
  intentIds: string[];
  termIds: Map<string, number>;
  words: string[];
  isBigram: Uint8Array;
  idf: Float64Array;
  unknownWeight: number;
  postingIntents: Int32Array[];
  postingStrength: Float32Array[];
  postingAccents: Uint32Array[];
  docStart: Int32Array;
  docTerms: Int32Array[];
  docNorm: Float64Array;
  docMass: Float64Array;
  docIsKeyword: Uint8Array;
  accentVariants: Map<string, string[]>;
  /** The words fuse.js matches typos to, by first letter. */
  fuzzyWords: Map<string, string[]>;
  foldedFillers: Set<string>;
  /** The learned model, trained on the intents' texts. */
  classifier: ClassifierState;
}

/** Indexes the intents' examples, keywords and titles for FaqMatcher, and trains its learned model. */
export function buildMatcherIndex(kb: KnowledgeBase): MatcherIndex {
  const intents = kb.intents;
  const n = intents.length;
  const termIds = new Map<string, number>();
  const words: string[] = [];
  const accentVariants = new Map<string, string[]>();
  const postingIntents: Int32Array[] = [];
  const postingStrength: Float32Array[] = [];
  const postingAccents: Uint32Array[] = [];
  const docTerms: Int32Array[] = [];
  const intentIds = intents.map((i) => i.id);
  const documents: number[][] = [];
  const keywordDocs: number[] = [];
  const starts: number[] = [];
  const perIntent: Map<number, number>[] = [];
  /** per intent: folded word → bit mask of its accent variants used there. */
  const intentAccents: Map<string, number>[] = [];
  const trainingTexts: TrainingText[] = [];
  const termOf = (term: string): number => {
    let id = termIds.get(term);
    if (id === undefined) {
      id = words.length;
      termIds.set(term, id);
      words.push(term);
    }
    return id;
  };

  intents.forEach((intent, i) => {
    starts.push(documents.length);
    const counts = new Map<number, number>();
    const accents = new Map<string, number>();
    // weight 2: keywords and the title (they count more, and are "keyword documents").
    const sources: { text: string; weight: number }[] = [
      ...intent.examples.map((text) => ({ text, weight: 1 })),
      ...intent.keywords.map((text) => ({ text, weight: 2 })),
      { text: intent.title, weight: 2 },
    ];
    for (const source of sources) {
      const norm = normalize(source.text, kb.lexicon);
      if (norm.tokens.length === 0) continue;
      trainingTexts.push({ intent: i, tokens: norm.tokens, weight: source.weight });
      const terms = new Set<number>();
      norm.tokens.forEach((token, k) => {
        terms.add(termOf(token));
        if (k > 0) terms.add(termOf(`${norm.tokens[k - 1]} ${token}`));
        const accented = norm.accentedTokens[k]!;
        if (accented === token) return;
        const key = accentKey(accented);
        let variants = accentVariants.get(token);
        if (!variants) accentVariants.set(token, (variants = []));
        let j = variants.indexOf(key);
        if (j === -1) j = variants.push(key) - 1;
        if (j < 32) accents.set(token, (accents.get(token) ?? 0) | (1 << j));
      });
      for (const t of terms) counts.set(t, (counts.get(t) ?? 0) + source.weight);
      documents.push([...terms]);
      keywordDocs.push(source.weight > 1 ? 1 : 0);
    }
    perIntent.push(counts);
    intentAccents.push(accents);
  });
  starts.push(documents.length);
  const docStart = Int32Array.from(starts);
  // The learned model is trained here too (MatcherOptions.learned only decides whether it is used).
  const classifier = new NgramClassifier(trainingTexts, n).state();

  // IDF over intents (an intent is one document for this purpose); BM25's form, always > 0.
  const termCount = words.length;
  const isBigram = Uint8Array.from(words, (w) => (w.includes(" ") ? 1 : 0));
  const df = new Int32Array(termCount);
  for (const counts of perIntent) for (const t of counts.keys()) df[t]!++;
  const idf = new Float64Array(termCount);
  for (let t = 0; t < termCount; t++) idf[t] = Math.log(1 + (n - df[t]! + 0.5) / (df[t]! + 0.5));
  // A word nobody uses weighs like a word used by one intent.
  const unknownWeight = Math.log(1 + (n - 0.5) / 1.5);

  const termWeight = (t: number) => (isBigram[t] ? idf[t]! * BIGRAM_WEIGHT : idf[t]!);

  // Posting lists, filled in intent order (so each is ascending).
  const fill = new Int32Array(termCount);
  const noAccents = new Uint32Array(0);
  for (let t = 0; t < termCount; t++) {
    postingIntents.push(new Int32Array(df[t]!));
    postingStrength.push(new Float32Array(df[t]!));
    postingAccents.push(accentVariants.has(words[t]!) ? new Uint32Array(df[t]!) : noAccents);
  }
  perIntent.forEach((counts, i) => {
    for (const [t, count] of counts) {
      const at = fill[t]!++;
      postingIntents[t]![at] = i;
      postingStrength[t]![at] = 0.6 + 0.4 * Math.min(1, count / 3);
      const accents = postingAccents[t]!;
      if (accents.length) accents[at] = intentAccents[i]!.get(words[t]!) ?? 0;
    }
  });

  const docNorm = new Float64Array(documents.length);
  const docMass = new Float64Array(documents.length);
  const docIsKeyword = Uint8Array.from(keywordDocs);
  documents.forEach((terms, d) => {
    let sum = 0;
    let mass = 0;
    for (const t of terms) {
      const w = termWeight(t);
      sum += w * w;
      if (idf[t]! >= MIN_DOC_IDF) mass += w;
    }
    docNorm[d] = Math.sqrt(sum) || 1;
    docMass[d] = mass || 1;
    // Only the terms that count in the comparison (the norm above has them all).
    docTerms.push(Int32Array.from(terms.filter((t) => idf[t]! >= MIN_DOC_IDF)));
  });

  const fuzzyWords = new Map<string, string[]>();
  for (const word of words) {
    if (word.length < FUZZY_MIN_CHARS - 1 || !/^[a-z]+$/.test(word)) continue;
    const list = fuzzyWords.get(word[0]!) ?? [];
    list.push(word);
    fuzzyWords.set(word[0]!, list);
  }
  const foldedFillers = new Set([...kb.lexicon.fillers].map((key) => foldDiacritics(key.replace(/\d$/, ""))));
  return {
    intentIds, termIds, words, isBigram, idf, unknownWeight, postingIntents, postingStrength, postingAccents,
    docStart, docTerms, docNorm, docMass, docIsKeyword, accentVariants, fuzzyWords, foldedFillers, classifier,
  };
}

export class FaqMatcher {
  readonly answerThreshold: number;
  readonly suggestThreshold: number;
  private readonly maxRunnersUp: number;
  private readonly runnerUpRatio: number;
  private readonly fuzzy: boolean;
  private readonly calibration: Calibration;
  private readonly learnedRankWeight: number;
  private readonly classifier: NgramClassifier | null;

  private readonly intentIds: string[];
  private readonly termIds: Map<string, number>;
  private readonly words: string[];
  private readonly isBigram: Uint8Array;
  private readonly idf: Float64Array;
  private readonly unknownWeight: number;
  /** term → intents containing it (ascending), and how strongly (0..1). */
  private readonly postingIntents: Int32Array[];
  private readonly postingStrength: Float32Array[];
  /** Documents (examples, keywords, title) of intent i are docStart[i] .. docStart[i + 1] - 1. */
  private readonly docStart: Int32Array;
  /** Terms of each document with IDF ≥ MIN_DOC_IDF. */
  private readonly docTerms: Int32Array[];
  private readonly docNorm: Float64Array;
  /** Sum of the IDF weights of a document's terms (those with IDF ≥ MIN_DOC_IDF). */
  private readonly docMass: Float64Array;
  /** 1 for a keyword or the title, 0 for an example. */
  private readonly docIsKeyword: Uint8Array;
  /** folded word → accent keys of its spellings with diacritics used anywhere ("vang" → ["văng1"]). */
  private readonly accentVariants: Map<string, string[]>;
  /**
   * Per word, aligned with its posting list: bit j set when that intent writes the word with
   * accentVariants[j]; 0 when the intent only writes it without diacritics (no evidence either way).
   */
  private readonly postingAccents: Uint32Array[];
  /** fuse.js over the vocabulary, one index per first letter (a typo rarely hits the first letter). */
  private readonly vocabulary = new Map<string, Fuse<string>>();
  /** Fillers of the lexicon, folded (for words typed without diacritics). */
  private readonly foldedFillers: Set<string>;
  private readonly fuzzyCache = new Map<string, { id: number; credit: number } | null>();
  // Scratch buffers, reused by every match (single-threaded), always left zeroed / -1.
  private readonly uniAcc: Float64Array;
  private readonly biAcc: Float64Array;
  /** term → index in the current query's term list, or -1. */
  private readonly queryIndex: Int32Array;

  /** `prebuilt`: the index of this same knowledge base, e.g. from the cache (default: built here). */
  constructor(
    private readonly kb: KnowledgeBase,
    options: MatcherOptions = {},
    prebuilt?: MatcherIndex,
  ) {
    this.calibration = options.calibration ?? CALIBRATION;
    this.answerThreshold = options.answerThreshold ?? this.calibration.answerThreshold;
    this.suggestThreshold = options.suggestThreshold ?? this.calibration.suggestThreshold;
    this.maxRunnersUp = options.maxRunnersUp ?? 3;
    this.runnerUpRatio = options.runnerUpRatio ?? 0.6;
    this.fuzzy = options.fuzzy ?? true;
    this.learnedRankWeight = options.learnedRankWeight ?? LEARNED_RANK_WEIGHT;

    const index = prebuilt ?? buildMatcherIndex(kb);
    this.intentIds = index.intentIds;
    this.termIds = index.termIds;
    this.words = index.words;
    this.isBigram = index.isBigram;
    this.idf = index.idf;
    this.unknownWeight = index.unknownWeight;
    this.postingIntents = index.postingIntents;
    this.postingStrength = index.postingStrength;
    this.postingAccents = index.postingAccents;
    this.docStart = index.docStart;
    this.docTerms = index.docTerms;
    this.docNorm = index.docNorm;
    this.docMass = index.docMass;
    this.docIsKeyword = index.docIsKeyword;
    this.accentVariants = index.accentVariants;
    this.foldedFillers = index.foldedFillers;
    this.classifier = options.learned === false ? null : NgramClassifier.fromState(index.classifier);
    for (const [letter, list] of index.fuzzyWords) {
      this.vocabulary.set(letter, new Fuse(list, { includeScore: true, threshold: FUZZY_MAX_SCORE, minMatchCharLength: 2 }));
    }
    const n = this.intentIds.length;
    const termCount = this.words.length;

    this.uniAcc = new Float64Array(n);
    this.biAcc = new Float64Array(n);
    this.queryIndex = new Int32Array(termCount).fill(-1);
  }

  /** Number of intents. */
  get size(): number {
    return this.intentIds.length;
  }

  /** Number of distinct words and word pairs in the index. */
  get vocabularySize(): number {
    return this.words.length;
  }

  /** IDF of a folded word over the intents (0 for a word no intent uses): how much it says about a topic. */
  wordWeight(token: string): number {
    const id = this.termIds.get(token);
    return id === undefined ? 0 : this.idf[id]!;
  }

  private termWeight(term: number): number {
    const w = this.idf[term]!;
    return this.isBigram[term] ? w * BIGRAM_WEIGHT : w;
  }

  /**
   * A word we do not know, matched to the vocabulary with fuse.js. Only for words of 5+ letters typed
   * without diacritics: a short Vietnamese syllable one letter away from another is usually another
   * word ("chao" is not "chau"), and a word typed with diacritics is a real word, not a typo.
   */
  private fuzzyTerm(word: string): { id: number; credit: number } | null {
    if (!this.fuzzy || word.length < FUZZY_MIN_CHARS || !/^[a-z]+$/.test(word)) return null;
    const cached = this.fuzzyCache.get(word);
    if (cached !== undefined) return cached;
    let found: { id: number; credit: number } | null = null;
    for (const hit of this.vocabulary.get(word[0]!)?.search(word, { limit: 3 }) ?? []) {
      const score = hit.score ?? 1;
      if (score > FUZZY_MAX_SCORE || Math.abs(hit.item.length - word.length) > 1) continue;
      found = { id: this.termIds.get(hit.item)!, credit: FUZZY_CREDIT * (1 - score) };
      break;
    }
    if (this.fuzzyCache.size >= FUZZY_CACHE) this.fuzzyCache.clear();
    this.fuzzyCache.set(word, found);
    return found;
  }

  /** "kichhoat" → ["kich", "hoat"] when the pair is known. */
  private splitJoined(word: string): [string, string] | null {
    if (word.length < 6 || !/^[a-z]+$/.test(word)) return null;
    for (let cut = 2; cut <= word.length - 2; cut++) {
      const a = word.slice(0, cut);
      const b = word.slice(cut);
      if (this.termIds.has(`${a} ${b}`)) return [a, b];
    }
    return null;
  }

  /**
   * A particle or politeness word ("ạ", "nhé", "lỡ"): ignored. Typed without diacritics, only when no
   * intent uses that spelling ("nha" may be "nhà").
   */
  private isFiller(token: string, accent: string | null): boolean {
    if (accent) return this.kb.lexicon.fillers.has(accent);
    return this.foldedFillers.has(token) && !this.termIds.has(token);
  }

  /**
   * Credit for a word the user typed with diacritics, at position `at` of its posting list: full, or
   * little when that intent only ever spells it otherwise.
   */
  private accentFactor(term: QueryTerm, at: number): number {
    if (!term.accentBit || at < 0) return 1;
    const mask = this.postingAccents[term.id]![at] ?? 0;
    return mask === 0 || mask & term.accentBit ? 1 : ACCENT_MISMATCH;
  }

  /** Where intent `i` is in a posting list (ascending), or -1. */
  private static find(list: Int32Array, i: number): number {
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = list[mid]!;
      if (v === i) return mid;
      if (v < i) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** All the evidence for a message (used by match() and by the calibration). */
  analyze(text: string): QueryAnalysis {
    const normalized = normalize(text, this.kb.lexicon);
    const empty: QueryAnalysis = { normalized, candidates: [], unknown: 1, length: normalized.tokens.length };
    if (normalized.tokens.length === 0 || this.intentIds.length === 0) return empty;
    const query = this.queryTerms(normalized);
    const unknown = query.totalUni > 0 ? query.unknownUni / query.totalUni : 1;
    if (query.uniTerms.length + query.biTerms.length === 0) return { ...empty, unknown, length: query.length };
    const pool = this.rankByCoverage(query);
    const learned = this.classifier?.posterior(normalized.tokens) ?? new Float64Array(this.intentIds.length);
    const candidates = this.compareDocuments(pool, query, learned).slice(0, CANDIDATES);
    this.explainCandidates(candidates, query);
    return { normalized, candidates, unknown, length: query.length };
  }

  /** Resolves the tokens (fillers out, joined words split, fuzzy matches) into weighted query terms. */
  private queryTerms(normalized: Normalized): Query {
    const tokens: string[] = [];
    const accents: (string | null)[] = [];
    normalized.tokens.forEach((token, k) => {
      const accented = normalized.accentedTokens[k]!;
      const accent = accented !== token ? accentKey(accented) : null;
      if (this.isFiller(token, accent)) return;
      // A number no intent uses ("70" tuổi, năm "2020", a house number) carries no topic: it is not
      // evidence against every intent. Numbers the content uses ("mức 2", "25 tuổi") still count.
      if (/^\d+$/.test(token) && !this.termIds.has(token)) return;
      const split = this.termIds.has(token) || accent ? null : this.splitJoined(token);
      if (split) {
        tokens.push(...split);
        accents.push(null, null);
      } else {
        tokens.push(token);
        accents.push(accent);
      }
    });

    const query: Query = {
      uniTerms: [],
      biTerms: [],
      totalUni: 0,
      unknownUni: 0,
      unknownCount: 0,
      totalBi: 0,
      pairCount: 0,
      length: tokens.length,
    };
    /** Per token: its vocabulary word (after fuzzy matching) for bigrams, or null. */
    const resolved: (string | null)[] = [];
    const seen = new Set<string>();
    tokens.forEach((token, k) => {
      const accent = accents[k]!;
      let id = this.termIds.get(token);
      let credit = 1;
      const variants = id !== undefined ? this.accentVariants.get(token) : undefined;
      const variant = accent && variants ? variants.indexOf(accent) : -1;
      if (accent && variants && variant === -1) {
        // Typed with diacritics that no intent uses for this word: another word ("biệt", not "biết").
        id = undefined;
      } else if (id === undefined && !accent) {
        const fuzzy = this.fuzzyTerm(token);
        if (fuzzy) ({ id, credit } = fuzzy);
      }
      resolved.push(id === undefined ? null : this.words[id]!);
      if (seen.has(token)) return;
      seen.add(token);
      if (id === undefined) {
        query.totalUni += this.unknownWeight;
        query.unknownUni += this.unknownWeight;
        query.unknownCount++;
        return;
      }
      const weight = this.idf[id]!;
      query.totalUni += weight;
      const accentBit = credit === 1 && variant >= 0 && variant < 32 ? 1 << variant : 0;
      query.uniTerms.push({ id, weight, accentBit, credit, bigram: false });
    });
    for (let k = 1; k < resolved.length; k++) {
      const a = resolved[k - 1];
      const b = resolved[k];
      const key = `${a ?? tokens[k - 1]} ${b ?? tokens[k]}`;
      if (seen.has(key)) continue;
      seen.add(key);
      query.pairCount++;
      if (!a || !b) continue;
      const id = this.termIds.get(key);
      if (id === undefined) continue;
      const weight = this.idf[id]! * BIGRAM_WEIGHT;
      query.totalBi += weight;
      query.biTerms.push({ id, weight, accentBit: 0, credit: 1, bigram: true });
    }
    return query;
  }

  /** Stage 1, every intent at once through the posting lists: token-level coverage; the best CANDIDATE_POOL. */
  private rankByCoverage(query: Query): { intent: number; coverage: number }[] {
    const uni = this.uniAcc;
    const bi = this.biAcc;
    const touched: number[] = [];
    for (const term of [...query.uniTerms, ...query.biTerms]) {
      const intents = this.postingIntents[term.id]!;
      const strength = this.postingStrength[term.id]!;
      const accents = this.postingAccents[term.id]!;
      const checkAccent = term.accentBit !== 0 && accents.length > 0;
      const base = term.weight * term.credit;
      const acc = term.bigram ? bi : uni;
      for (let p = 0; p < intents.length; p++) {
        const i = intents[p]!;
        if (uni[i] === 0 && bi[i] === 0) touched.push(i);
        let credit = base * strength[p]!;
        if (checkAccent && accents[p] !== 0 && (accents[p]! & term.accentBit) === 0) credit *= ACCENT_MISMATCH;
        acc[i] = acc[i]! + credit;
      }
    }
    const denominator = query.totalUni + query.totalBi || 1;
    // Keep the best CANDIDATE_POOL with a min-heap (at thousands of intents, sorting them all shows).
    const heap: { intent: number; coverage: number }[] = [];
    const worse = (a: { intent: number; coverage: number }, b: { intent: number; coverage: number }) =>
      a.coverage < b.coverage || (a.coverage === b.coverage && a.intent > b.intent);
    for (const i of touched) {
      const entry = { intent: i, coverage: Math.min(1, (uni[i]! + bi[i]!) / denominator) };
      uni[i] = 0;
      bi[i] = 0;
      if (heap.length < CANDIDATE_POOL) {
        heap.push(entry);
        for (let k = heap.length - 1; k > 0; ) {
          const parent = (k - 1) >> 1;
          if (!worse(heap[k]!, heap[parent]!)) break;
          [heap[k], heap[parent]] = [heap[parent]!, heap[k]!];
          k = parent;
        }
      } else if (worse(heap[0]!, entry)) {
        heap[0] = entry;
        for (let k = 0; ; ) {
          const l = 2 * k + 1;
          const r = l + 1;
          let m = k;
          if (l < heap.length && worse(heap[l]!, heap[m]!)) m = l;
          if (r < heap.length && worse(heap[r]!, heap[m]!)) m = r;
          if (m === k) break;
          [heap[k], heap[m]] = [heap[m]!, heap[k]!];
          k = m;
        }
      }
    }
    return heap.sort((a, b) => b.coverage - a.coverage || a.intent - b.intent);
  }

  /** Stage 2, the pool only, document by document: cosine, keyword and example cover; ranked. */
  private compareDocuments(
    pool: { intent: number; coverage: number }[],
    query: Query,
    learned: Float64Array,
  ): CandidateFeatures[] {
    const terms = [...query.uniTerms, ...query.biTerms];
    const weights = new Float64Array(terms.length);
    const credits = new Float64Array(terms.length);
    const accented: number[] = [];
    let queryNorm = query.unknownCount * this.unknownWeight * this.unknownWeight;
    for (let q = 0; q < terms.length; q++) {
      const term = terms[q]!;
      queryNorm += term.weight * term.weight;
      this.queryIndex[term.id] = q;
      weights[q] = term.weight;
      credits[q] = term.credit;
      if (term.accentBit && this.postingAccents[term.id]!.length) accented.push(q);
    }
    queryNorm = Math.sqrt(queryNorm) || 1;
    const factors = new Float64Array(terms.length);
    const all: CandidateFeatures[] = [];
    for (const { intent: i, coverage } of pool) {
      factors.set(credits);
      for (const q of accented) {
        const term = terms[q]!;
        factors[q] = term.credit * this.accentFactor(term, FaqMatcher.find(this.postingIntents[term.id]!, i));
      }
      let cosine = 0;
      let keywordCover = 0;
      let exampleCover = 0;
      for (let d = this.docStart[i]!; d < this.docStart[i + 1]!; d++) {
        const docTerms = this.docTerms[d]!;
        let dot = 0;
        let cover = 0;
        for (let k = 0; k < docTerms.length; k++) {
          const q = this.queryIndex[docTerms[k]!]!;
          if (q === -1) continue;
          const w = weights[q]! * factors[q]!;
          dot += w * weights[q]!;
          cover += w;
        }
        if (dot === 0) continue;
        cosine = Math.max(cosine, dot / (queryNorm * this.docNorm[d]!));
        if (this.docIsKeyword[d]) keywordCover = Math.max(keywordCover, cover / this.docMass[d]!);
        else exampleCover = Math.max(exampleCover, cover / this.docMass[d]!);
      }
      cosine = Math.min(1, cosine);
      all.push({
        intent: i,
        coverage,
        cosine,
        score: 0.5 * coverage + 0.5 * cosine + this.learnedRankWeight * learned[i]!,
        bigramRate: 0,
        maxMissing: 0,
        keywordCover: Math.min(1, keywordCover),
        exampleCover: Math.min(1, exampleCover),
        maxMatched: 0,
        learned: learned[i]!,
      });
    }
    for (const term of terms) this.queryIndex[term.id] = -1;
    return all.sort((a, b) => b.score - a.score || a.intent - b.intent);
  }

  /** Per candidate: word pairs shared, the strongest word left unexplained, the strongest word or pair matched. */
  private explainCandidates(candidates: CandidateFeatures[], query: Query): void {
    for (const c of candidates) {
      let shared = 0;
      let matched = 0;
      for (const term of query.biTerms) {
        if (FaqMatcher.find(this.postingIntents[term.id]!, c.intent) === -1) continue;
        shared++;
        matched = Math.max(matched, term.weight / this.unknownWeight);
      }
      c.bigramRate = query.pairCount === 0 ? c.coverage : shared / query.pairCount;
      let missing = query.unknownCount > 0 ? 1 : 0;
      for (const term of query.uniTerms) {
        const at = FaqMatcher.find(this.postingIntents[term.id]!, c.intent);
        const got = at === -1 ? 0 : term.credit * this.accentFactor(term, at);
        missing = Math.max(missing, (term.weight * (1 - got)) / this.unknownWeight);
        matched = Math.max(matched, (term.weight * got) / this.unknownWeight);
      }
      c.maxMissing = Math.min(1, missing);
      c.maxMatched = Math.min(1, matched);
    }
  }

  /** Whether one intent lists the other among its related intents. */
  areRelated(a: string, b: string): boolean {
    return (this.kb.byId.get(a)?.related.includes(b) ?? false) || (this.kb.byId.get(b)?.related.includes(a) ?? false);
  }

  /**
   * The message's answer. A long rambling message that is not answered as a whole ("Cháu ơi, bác ra
   * công an phường rồi, về nhà mới thấy… giờ không biết…") is matched clause by clause, and answered
   * with the clause that is answered most confidently: the question is usually one clause of the story.
   */
  match(text: string): MatchResult {
    const whole = this.matchWhole(text);
    if (whole.decision === "answer") return whole;
    const clauses = salientClauses(text);
    if (clauses.length < 2) return whole;
    let best: MatchResult | null = null;
    for (const clause of clauses) {
      const r = this.matchWhole(clause);
      if (r.decision === "answer" && (!best || r.best!.confidence > best.best!.confidence)) best = r;
    }
    return best ?? whole;
  }

  private matchWhole(text: string): MatchResult {
    const analysis = this.analyze(text);
    const [first] = analysis.candidates;
    if (!first) return { best: null, runnersUp: [], decision: "fallback" };
    const features = featureVector(analysis, 0);
    const confidence = round(applyModel(this.calibration.answer, features));
    const best: MatchCandidate = { intentId: this.intentIds[first.intent]!, confidence };
    const runnersUp: MatchCandidate[] = [];
    let rivalAnswerable = false;
    for (let k = 1; k < analysis.candidates.length && runnersUp.length < this.maxRunnersUp; k++) {
      const c = analysis.candidates[k]!;
      if (c.score < this.runnerUpRatio * first.score) break;
      const own = applyModel(this.calibration.answer, featureVector(analysis, k));
      if (own >= this.answerThreshold && c.score >= RIVAL_RATIO * first.score) rivalAnswerable = true;
      runnersUp.push({ intentId: this.intentIds[c.intent]!, confidence: round(Math.min(own, confidence)) });
    }
    const inScope = applyModel(this.calibration.scope, features) >= this.suggestThreshold;
    // Two intents that would each be answered ("mức 2": the difference, or how to register?): let
    // the user choose rather than guess — unless one lists the other as related (the answer links to
    // it as a button anyway).
    const bestIntent = this.kb.intents[first.intent]!;
    const rivalBlocks = rivalAnswerable && !runnersUp.every((r) => this.areRelated(bestIntent.id, r.intentId));
    // A lone candidate (nothing else within runnerUpRatio of its score) in scope: a one-button
    // "Ý bạn là" only adds a tap, so answer it.
    const lone = runnersUp.length === 0 && inScope && confidence >= LONE_MIN_CONFIDENCE;
    const decision: MatchDecision =
      (confidence >= this.answerThreshold && !rivalBlocks) || lone
        ? "answer"
        : confidence >= this.answerThreshold || inScope
          ? "suggest"
          : "fallback";
    return { best, runnersUp, decision };
  }
}

/** Messages of at least this many words are also read clause by clause. */
const LONG_MESSAGE_WORDS = 14;
/** A clause needs this many words to stand on its own. */
const MIN_CLAUSE_WORDS = 3;
// Where a story turns into a question: punctuation, and the connectives people chain clauses with.
const CLAUSE_BREAK = /[,.;:!?\n]+|\s(?=(?:mà|nhưng|nhung|nên|giờ|gio|bây giờ|bay gio|vậy|vay|thì|thi|cho (?:em|tôi|toi|mình|minh|bác|bac|cháu|chau|con) hỏi|cho (?:em|toi|minh|bac|chau|con) hoi)\s)/giu;

/** The clauses of a long message, and each clause with the one after it (a question often spans two). */
export function salientClauses(text: string): string[] {
  if (text.split(/\s+/).filter(Boolean).length < LONG_MESSAGE_WORDS) return [];
  const parts = text
    .split(CLAUSE_BREAK)
    .map((p) => p.trim())
    .filter((p) => p.split(/\s+/).length >= MIN_CLAUSE_WORDS);
  const pairs = parts.slice(0, -1).map((p, i) => `${p} ${parts[i + 1]}`);
  return [...parts, ...pairs];
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
