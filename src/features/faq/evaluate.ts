// Scoring the matcher on a labelled set ({q, intent}, intent null = out of scope).
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { z } from "zod";
import type { MatchResult } from "./matcher.ts";

export interface LabelledQuestion {
  q: string;
  intent: string | null;
}

const labelledSchema = z.array(
  z.object({
    q: z.union([z.string(), z.number()]).transform(String),
    intent: z.string().nullable(),
  }),
);

export function loadLabelled(file: string): LabelledQuestion[] {
  const data: unknown = parse(readFileSync(file, "utf8"));
  const result = labelledSchema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`${file}: ${issue?.path.join(".") ?? "?"}: ${issue?.message ?? "invalid"}`);
  }
  return result.data;
}

export interface Evaluation {
  inScope: number;
  outOfScope: number;
  /** In scope, decision "answer" with the labelled intent (the strict reading). */
  answeredCorrectly: number;
  /** In scope, decision "answer" or "suggest" with best = the labelled intent (the lenient reading). */
  top1Correct: number;
  /** In scope, decision "answer" with another intent: the costly mistake. */
  answeredWrongly: number;
  /** In scope, the labelled intent is best or one of the suggestions, decision not fallback. */
  offered: number;
  /** In scope items that fell back. */
  inScopeFallbacks: number;
  /** Out of scope, decision "fallback". */
  rejected: number;
  /** Out of scope, decision "answer" (a confident answer to something we do not cover). */
  outOfScopeAnswered: number;
  /** Of all fallbacks, the share that were out of scope. */
  fallbackPrecision: number;
  strictAccuracy: number;
  top1Accuracy: number;
  rejectionRate: number;
  failures: { q: string; expected: string | null; got: MatchResult }[];
}

export function evaluate(items: LabelledQuestion[], match: (q: string) => MatchResult): Evaluation {
  const e = {
    inScope: 0,
    outOfScope: 0,
    answeredCorrectly: 0,
    top1Correct: 0,
    answeredWrongly: 0,
    offered: 0,
    inScopeFallbacks: 0,
    rejected: 0,
    outOfScopeAnswered: 0,
    failures: [] as Evaluation["failures"],
  };
  for (const item of items) {
    const result = match(item.q);
    if (item.intent === null) {
      e.outOfScope++;
      if (result.decision === "fallback") e.rejected++;
      else e.failures.push({ q: item.q, expected: null, got: result });
      if (result.decision === "answer") e.outOfScopeAnswered++;
      continue;
    }
    e.inScope++;
    const isBest = result.best?.intentId === item.intent;
    if (result.decision === "fallback") e.inScopeFallbacks++;
    if (isBest && result.decision === "answer") e.answeredCorrectly++;
    if (isBest && result.decision !== "fallback") e.top1Correct++;
    if (!isBest && result.decision === "answer") e.answeredWrongly++;
    if (result.decision !== "fallback" && (isBest || result.runnersUp.some((r) => r.intentId === item.intent))) e.offered++;
    if (!(isBest && result.decision === "answer")) e.failures.push({ q: item.q, expected: item.intent, got: result });
  }
  const fallbacks = e.rejected + e.inScopeFallbacks;
  return {
    ...e,
    fallbackPrecision: fallbacks ? e.rejected / fallbacks : 1,
    strictAccuracy: e.inScope ? e.answeredCorrectly / e.inScope : 0,
    top1Accuracy: e.inScope ? e.top1Correct / e.inScope : 0,
    rejectionRate: e.outOfScope ? e.rejected / e.outOfScope : 0,
  };
}

export const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
