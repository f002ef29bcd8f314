// Fits the matcher's two logistic models and its two thresholds, WITHOUT the dev set, on:
//  - the intents' own examples, K-fold cross-validated (each example is asked of a matcher built
//    without it, so it counts as an unseen question);
//  - tests/fixtures/faq-calibration.yaml, a hand-written list (mostly out-of-scope messages).
// Models: P(the best intent is the right one) — the confidence — and P(the message is in scope).
// Thresholds: answer when the confidence maximises (right answers − 3 × wrong answers), out-of-scope
// messages weighted as 15% of the traffic; suggest at the lowest P(in scope) that keeps at most 5% of
// the list's out-of-scope messages from falling back.
// `npm run faq -- calibrate` prints the result; `--write` stores it in calibration.ts. Re-run it after
// large content changes (many new intents or examples); the dev-set test tells whether it is needed.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { buildKnowledgeBase, repoRoot, type KnowledgeBase } from "./knowledge.ts";
import { applyModel, FaqMatcher, FEATURE_NAMES, featureVector } from "./matcher.ts";
import type { Calibration, ConfidenceModel } from "./calibration.ts";
import type { LabelledQuestion } from "./evaluate.ts";

export interface CalibrationRecord {
  q: string;
  expected: string | null;
  features: number[];
  /** Intent ids by rank (best first, up to 4). */
  ranked: string[];
  /** Weight in the fit (out-of-scope items are re-weighted to a share of the traffic). */
  weight: number;
  source: "cv" | "list";
}

export interface CalibrationResult extends Calibration {
  report: string[];
}

export interface CalibrationOptions {
  folds?: number;
  /** Share of out-of-scope messages assumed in real traffic (weights the out-of-scope records). */
  outOfScopeShare?: number;
  /** Cost of a wrong confident answer, in correct answers. */
  wrongAnswerCost?: number;
  /** At most this share of the calibration list's out-of-scope messages may get suggestions. */
  maxOutOfScopeSuggested?: number;
}

function analyzeRecord(matcher: FaqMatcher, kb: KnowledgeBase, q: string): { features: number[]; ranked: string[] } {
  const analysis = matcher.analyze(q);
  const ranked = analysis.candidates.slice(0, 4).map((c) => kb.intents[c.intent]!.id);
  return { features: analysis.candidates.length ? featureVector(analysis, 0) : [], ranked };
}

/** Every example asked of a matcher built without it (K folds), plus the hand-written list. */
export function collectRecords(
  kb: KnowledgeBase,
  list: LabelledQuestion[],
  folds = 5,
  outOfScopeShare = 0.15,
): CalibrationRecord[] {
  const records: CalibrationRecord[] = [];
  for (let fold = 0; fold < folds; fold++) {
    const trainIntents = kb.intents.map((intent) => ({
      ...intent,
      examples: intent.examples.filter((_, j) => j % folds !== fold),
    }));
    const trainKb = buildKnowledgeBase(trainIntents, kb.lexicon, kb.topics);
    const matcher = new FaqMatcher(trainKb);
    for (const intent of kb.intents) {
      intent.examples.forEach((q, j) => {
        if (j % folds !== fold) return;
        records.push({ q, expected: intent.id, ...analyzeRecord(matcher, trainKb, q), weight: 1, source: "cv" });
      });
    }
  }
  const full = new FaqMatcher(kb);
  for (const item of list) {
    records.push({ q: item.q, expected: item.intent, ...analyzeRecord(full, kb, item.q), weight: 1, source: "list" });
  }
  const inScope = records.filter((r) => r.expected !== null).length;
  const outOfScope = records.length - inScope;
  const oosWeight = outOfScope ? (outOfScopeShare / (1 - outOfScopeShare)) * (inScope / outOfScope) : 1;
  for (const r of records) if (r.expected === null) r.weight = oosWeight;
  return records;
}

/** The best intent is the right one. */
const isCorrect = (r: CalibrationRecord): boolean => r.expected !== null && r.ranked[0] === r.expected;
/** The message is one the knowledge base covers. */
const isInScope = (r: CalibrationRecord): boolean => r.expected !== null;

/** Weighted, L2-regularised logistic regression fitted by Newton's method (a few hundred records: instant). */
export function fitLogistic(
  records: CalibrationRecord[],
  label: (r: CalibrationRecord) => boolean,
  l2 = 0.0005,
  iterations = 50,
): ConfidenceModel {
  const usable = records.filter((r) => r.features.length > 0);
  const dims = (usable[0]?.features.length ?? 0) + 1; // + bias
  const beta = new Array<number>(dims).fill(0);
  const total = usable.reduce((s, r) => s + r.weight, 0) || 1;
  const x = usable.map((r) => [...r.features, 1]);
  const y = usable.map((r) => (label(r) ? 1 : 0));
  for (let it = 0; it < iterations; it++) {
    const grad = new Array<number>(dims).fill(0);
    const hess = Array.from({ length: dims }, () => new Array<number>(dims).fill(0));
    usable.forEach((r, n) => {
      const xi = x[n]!;
      let z = 0;
      for (let k = 0; k < dims; k++) z += beta[k]! * xi[k]!;
      const p = 1 / (1 + Math.exp(-z));
      const g = ((p - y[n]!) * r.weight) / total;
      const h = (p * (1 - p) * r.weight) / total;
      for (let a = 0; a < dims; a++) {
        grad[a]! += g * xi[a]!;
        for (let b = 0; b < dims; b++) hess[a]![b]! += h * xi[a]! * xi[b]!;
      }
    });
    for (let a = 0; a < dims - 1; a++) {
      grad[a]! += l2 * beta[a]!;
      hess[a]![a]! += l2;
    }
    const step = solve(hess, grad);
    let moved = 0;
    for (let a = 0; a < dims; a++) {
      beta[a]! -= step[a]!;
      moved = Math.max(moved, Math.abs(step[a]!));
    }
    if (moved < 1e-7) break;
  }
  return { weights: beta.slice(0, -1).map(round4), bias: round4(beta[dims - 1]!) };
}

/** Solves A x = b (Gaussian elimination with partial pivoting; A is small and positive definite). */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    const p = m[col]![col]! || 1e-12;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r]![col]! / p;
      if (f === 0) continue;
      for (let c = col; c <= n; c++) m[r]![c]! -= f * m[col]![c]!;
    }
  }
  return m.map((row, i) => row[n]! / (row[i]! || 1e-12));
}

function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}

export function calibrate(kb: KnowledgeBase, list: LabelledQuestion[], options: CalibrationOptions = {}): CalibrationResult {
  const folds = options.folds ?? 5;
  const wrongCost = options.wrongAnswerCost ?? 3;
  const maxSuggested = options.maxOutOfScopeSuggested ?? 0.05;
  const records = collectRecords(kb, list, folds, options.outOfScopeShare ?? 0.15);
  const answer = fitLogistic(records, isCorrect);
  const scope = fitLogistic(records, isInScope);
  const scored = records.map((r) => ({
    r,
    p: r.features.length ? applyModel(answer, r.features) : 0,
    s: r.features.length ? applyModel(scope, r.features) : 0,
  }));

  // answer threshold: most (correct answers − cost × wrong answers), weighted.
  const grid = Array.from({ length: 99 }, (_, k) => (k + 1) / 100);
  let answerThreshold = 0.5;
  let bestUtility = -Infinity;
  for (const t of grid) {
    let u = 0;
    for (const { r, p } of scored) if (p >= t) u += isCorrect(r) ? r.weight : -wrongCost * r.weight;
    if (u > bestUtility) {
      bestUtility = u;
      answerThreshold = t;
    }
  }
  // suggest threshold (on the in-scope probability, for what is not answered): the lowest at which at
  // most `maxSuggested` of the out-of-scope messages get suggestions. ("Clearly out-of-scope messages
  // must fall back"; the trade-off curve of useful against pointless suggestions is too flat here to
  // pick a threshold by itself.)
  const outOfScope = scored.filter((x) => x.r.expected === null);
  let suggestThreshold = 1;
  for (const t of [...grid].reverse()) {
    const suggested = outOfScope.filter((x) => x.p < answerThreshold && x.s >= t).length;
    if (suggested > maxSuggested * outOfScope.length) break;
    suggestThreshold = t;
  }

  const report: string[] = [];
  for (const source of ["cv", "list"] as const) {
    const part = scored.filter((x) => x.r.source === source);
    const inScope = part.filter((x) => x.r.expected !== null);
    const oos = part.filter((x) => x.r.expected === null);
    const answered = inScope.filter((x) => x.p >= answerThreshold && isCorrect(x.r)).length;
    const top1 = inScope.filter((x) => (x.p >= answerThreshold || x.s >= suggestThreshold) && isCorrect(x.r)).length;
    const wrong = inScope.filter((x) => x.p >= answerThreshold && !isCorrect(x.r)).length;
    const rejected = oos.filter((x) => x.p < answerThreshold && x.s < suggestThreshold).length;
    const name = source === "cv" ? `examples, ${folds}-fold cross-validated` : "calibration list";
    report.push(
      `${name}: in scope ${inScope.length}, answered correctly ${answered} (${pct(answered, inScope.length)}), ` +
        `best correct and not fallback ${top1} (${pct(top1, inScope.length)}), answered wrongly ${wrong}; ` +
        `out of scope ${oos.length}, fell back ${rejected} (${pct(rejected, oos.length)})`,
    );
  }
  report.push(`answer model: weights [${answer.weights.join(", ")}], bias ${answer.bias}`);
  report.push(`scope model: weights [${scope.weights.join(", ")}], bias ${scope.bias}`);
  report.push(
    `thresholds: answer when P(right intent) ≥ ${answerThreshold}; else suggest when P(in scope) ≥ ${suggestThreshold}` +
      " (figures above before the matcher's rule for two answerable intents)",
  );
  return { answer, scope, answerThreshold, suggestThreshold, report };
}

function pct(n: number, d: number): string {
  return d ? `${((n / d) * 100).toFixed(1)}%` : "–";
}

// The source file, also when this runs compiled from dist/ (the next build compiles the new model).
export function writeCalibration(result: Calibration, file = path.join(repoRoot, "src/features/faq/calibration.ts")): void {
  const model = (m: ConfidenceModel) => `{ weights: [${m.weights.join(", ")}], bias: ${m.bias} }`;
  const source = `// Written by \`npm run faq -- calibrate --write\` (src/features/faq/calibrate.ts); do not edit by hand.
// Fitted on the intents' examples (cross-validated) and tests/fixtures/faq-calibration.yaml; never on the dev set.
export interface ConfidenceModel {
  /** One weight per input, in this order: ${FEATURE_NAMES.join(", ")}. */
  weights: number[];
  bias: number;
}

export interface Calibration {
  /** P(the best intent is the right one): the confidence, compared with answerThreshold. */
  answer: ConfidenceModel;
  /** P(the message is about something the knowledge base covers), compared with suggestThreshold. */
  scope: ConfidenceModel;
  answerThreshold: number;
  suggestThreshold: number;
}

export const CALIBRATION: Calibration = {
  answer: ${model(result.answer)},
  scope: ${model(result.scope)},
  answerThreshold: ${result.answerThreshold},
  suggestThreshold: ${result.suggestThreshold},
};
`;
  writeFileSync(file, source);
}
