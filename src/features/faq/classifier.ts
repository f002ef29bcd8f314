// A learned signal beside the matcher's hand-built evidence: multinomial naive Bayes over the
// character n-grams (3 to 5 letters, across word boundaries) and the words of a normalised message,
// trained on the intents' own examples, keywords and titles whenever a matcher is built.
//
// Why character n-grams: citizens misspell, drop or misplace tone marks, glue or split words
// ("kichhoat", "vn eid") and use forms the examples never spelled; shared letter sequences still
// carry the topic where whole words do not. The matcher turns this model's posterior into two more
// inputs of its calibrated confidence and into a share of the ranking (see matcher.ts), so it helps
// only as far as the cross-validated calibration finds it useful.
//
// Training is counting (one pass over the examples), so building stays fast at hundreds of intents;
// the model is sparse: per feature, the intents that used it.

/** Additive smoothing of the per-intent feature counts. */
const ALPHA = 0.1;
/** Character n-gram lengths. */
const MIN_GRAM = 3;
const MAX_GRAM = 5;
/**
 * Divides the log-likelihoods before the softmax: naive Bayes counts every overlapping n-gram as
 * independent evidence, so its raw posteriors are far too sure of themselves.
 */
const TEMPERATURE = 24;
/**
 * A feature used by more than this share of the intents (" vn", "ng ", the word "la") is dropped: it
 * tells them apart little and would make every message touch every intent (max_df, as in text mining).
 */
const MAX_INTENT_SHARE = 0.8;

export interface TrainingText {
  intent: number;
  /** Normalised (folded) tokens. */
  tokens: readonly string[];
  /** How much this text counts (keywords and titles count more than one example). */
  weight: number;
}

/**
 * The features of a tokenised text, hashed (FNV-1a into 2^BUCKET_BITS buckets; no strings are built): its
 * words, and the character n-grams of " word word ". With counts, as (bucket → count). A few features
 * share a bucket; at a few hundred thousand distinct features in four million buckets that is noise.
 */
export function textFeatures(tokens: readonly string[]): Map<number, number> {
  const features = new Map<number, number>();
  const add = (h: number) => features.set(h, (features.get(h) ?? 0) + 1);
  const padded = ` ${tokens.join(" ")} `;
  // Words: hashed with a different start, so the word "vneid" and the 5-gram "vneid" differ.
  let h = WORD_SEED;
  for (let i = 1; i < padded.length; i++) {
    const code = padded.charCodeAt(i);
    if (code === 32) {
      if (h !== WORD_SEED) add(h & BUCKET_MASK);
      h = WORD_SEED;
    } else h = Math.imul(h ^ code, FNV_PRIME);
  }
  for (let i = 0; i + MIN_GRAM <= padded.length; i++) {
    let g = FNV_OFFSET;
    for (let k = 0; k < MAX_GRAM && i + k < padded.length; k++) {
      g = Math.imul(g ^ padded.charCodeAt(i + k), FNV_PRIME);
      if (k + 1 >= MIN_GRAM) add((g ^ (k + 1)) & BUCKET_MASK);
    }
  }
  return features;
}
const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
const WORD_SEED = 0x9747b28c | 0;
const BUCKET_BITS = 22;
const BUCKET_MASK = (1 << BUCKET_BITS) - 1;

/** A trained NgramClassifier as plain data (the content cache keeps it): NgramClassifier.fromState. */
export interface ClassifierState {
  intentCount: number;
  /** The buckets that have a feature, and the feature of each. */
  buckets: Int32Array;
  features: Int32Array;
  postingStart: Int32Array;
  postingIntents: Int32Array;
  postingBonus: Float32Array;
  floor: Float64Array;
}

export class NgramClassifier {
  /** Bucket → feature id, or -1. */
  private readonly featureIds = new Int32Array(1 << BUCKET_BITS).fill(-1);
  /**
   * Per feature f, at postingStart[f] .. postingStart[f + 1] - 1: the intents that used it (ascending) and
   * log P(f | intent) − the intent's floor.
   */
  private readonly postingStart: Int32Array;
  private readonly postingIntents: Int32Array;
  private readonly postingBonus: Float32Array;
  /** Per intent, log P(a feature this intent never used | intent). */
  private readonly floor: Float64Array;
  private readonly scores: Float64Array;

  constructor(
    texts: readonly TrainingText[],
    readonly intentCount: number,
  ) {
    // Texts intent by intent: (feature, intent, count) triples come out in ascending intent order, and a
    // counting sort by feature keeps that order inside each posting list.
    const order = texts.map((_, k) => k).sort((x, y) => texts[x]!.intent - texts[y]!.intent || x - y);
    let vocabulary = 0;
    const totals = new Float64Array(intentCount);
    let pairFeature = new Int32Array(1 << 16);
    let pairIntent = new Int32Array(1 << 16);
    let pairWeight = new Float64Array(1 << 16);
    let pairs = 0;
    // The current intent's weighted count per feature id, and the ids it touched.
    let counts = new Float64Array(1 << 16);
    const touched: number[] = [];
    let current = -1;
    const flush = () => {
      if (pairs + touched.length > pairFeature.length) {
        const size = Math.max(pairFeature.length * 2, pairs + touched.length);
        pairFeature = grow(pairFeature, new Int32Array(size));
        pairIntent = grow(pairIntent, new Int32Array(size));
        pairWeight = grow(pairWeight, new Float64Array(size));
      }
      for (const id of touched) {
        pairFeature[pairs] = id;
        pairIntent[pairs] = current;
        pairWeight[pairs++] = counts[id]!;
        counts[id] = 0;
      }
      touched.length = 0;
    };
    for (const k of order) {
      const text = texts[k]!;
      if (text.intent !== current) {
        flush();
        current = text.intent;
      }
      for (const [hash, count] of textFeatures(text.tokens)) {
        let id = this.featureIds[hash]!;
        if (id === -1) {
          id = vocabulary++;
          this.featureIds[hash] = id;
          if (id >= counts.length) counts = grow(counts, new Float64Array(counts.length * 2));
        }
        // log(1 + tf): a long example repeating a word should not own that word.
        const w = text.weight * Math.log1p(count);
        if (counts[id] === 0) touched.push(id);
        counts[id]! += w;
        totals[text.intent]! += w;
      }
    }
    flush();
    this.floor = new Float64Array(intentCount);
    for (let c = 0; c < intentCount; c++) this.floor[c] = Math.log(ALPHA / (totals[c]! + ALPHA * vocabulary));
    this.postingStart = new Int32Array(vocabulary + 1);
    for (let p = 0; p < pairs; p++) this.postingStart[pairFeature[p]! + 1]!++;
    // Too common: an empty posting list, and the query skips it.
    const maxIntents = Math.max(2, Math.floor(MAX_INTENT_SHARE * intentCount));
    for (let f = 0; f < vocabulary; f++) if (this.postingStart[f + 1]! > maxIntents) this.postingStart[f + 1] = 0;
    let kept = 0;
    for (let p = 0; p < pairs; p++) {
      if (this.postingStart[pairFeature[p]! + 1] === 0) continue;
      pairFeature[kept] = pairFeature[p]!;
      pairIntent[kept] = pairIntent[p]!;
      pairWeight[kept++] = pairWeight[p]!;
    }
    pairs = kept;
    for (let f = 0; f < vocabulary; f++) this.postingStart[f + 1]! += this.postingStart[f]!;
    this.postingIntents = new Int32Array(pairs);
    this.postingBonus = new Float32Array(pairs);
    const fill = this.postingStart.slice(0, vocabulary);
    for (let p = 0; p < pairs; p++) {
      const at = fill[pairFeature[p]!]!++;
      this.postingIntents[at] = pairIntent[p]!;
      this.postingBonus[at] = Math.log((pairWeight[p]! + ALPHA) / ALPHA);
    }
    this.scores = new Float64Array(intentCount);
  }

  /** The trained model as plain data; the bucket table (16 MB, almost all empty) as its used entries only. */
  state(): ClassifierState {
    const buckets: number[] = [];
    const features: number[] = [];
    this.featureIds.forEach((id, bucket) => {
      if (id === -1) return;
      buckets.push(bucket);
      features.push(id);
    });
    return {
      intentCount: this.intentCount,
      buckets: Int32Array.from(buckets),
      features: Int32Array.from(features),
      postingStart: this.postingStart,
      postingIntents: this.postingIntents,
      postingBonus: this.postingBonus,
      floor: this.floor,
    };
  }

  /** The model `state()` described, without training it again. */
  static fromState(state: ClassifierState): NgramClassifier {
    const model = Object.create(NgramClassifier.prototype) as NgramClassifier;
    const featureIds = new Int32Array(1 << BUCKET_BITS).fill(-1);
    state.buckets.forEach((bucket, k) => (featureIds[bucket] = state.features[k]!));
    return Object.assign(model, {
      intentCount: state.intentCount,
      featureIds,
      postingStart: state.postingStart,
      postingIntents: state.postingIntents,
      postingBonus: state.postingBonus,
      floor: state.floor,
      scores: new Float64Array(state.intentCount),
    });
  }

  /**
   * P(intent | text) for every intent (a fresh array), from the known features of the text; all
   * equal when none is known.
   */
  posterior(tokens: readonly string[]): Float64Array {
    const scores = this.scores;
    scores.fill(0);
    let known = 0;
    for (const [hash, count] of textFeatures(tokens)) {
      const id = this.featureIds[hash]!;
      if (id === -1) continue;
      const start = this.postingStart[id]!;
      const end = this.postingStart[id + 1]!;
      if (start === end) continue;
      const tf = Math.log1p(count);
      known += tf;
      for (let p = start; p < end; p++) scores[this.postingIntents[p]!]! += tf * this.postingBonus[p]!;
    }
    const out = new Float64Array(this.intentCount);
    if (this.intentCount === 0) return out;
    let max = -Infinity;
    for (let c = 0; c < this.intentCount; c++) {
      out[c] = (scores[c]! + known * this.floor[c]!) / TEMPERATURE;
      if (out[c]! > max) max = out[c]!;
    }
    let sum = 0;
    for (let c = 0; c < this.intentCount; c++) {
      out[c] = Math.exp(out[c]! - max);
      sum += out[c]!;
    }
    for (let c = 0; c < this.intentCount; c++) out[c]! /= sum;
    return out;
  }
}

function grow<T extends Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
