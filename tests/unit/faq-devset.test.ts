// The matcher on the held-out dev set (tests/fixtures/devset.yaml, written independently of the
// intents' examples; never tune on it, never copy its items into intents/).
//
// Reading of "top-1 accuracy" used for the assertion (the strict one): an in-scope question counts
// as correct only when the decision is "answer" AND the answered intent is the labelled one. A
// "suggest" ("Ý bạn là…") with the right intent first is reported as the lenient figure, not counted.
// Out-of-scope rejection: an out-of-scope question (intent null) counts only when the decision is
// "fallback" (suggestions count as a failure).
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadKnowledgeBase, repoRoot } from "../../src/features/faq/knowledge.ts";
import { FaqMatcher } from "../../src/features/faq/matcher.ts";
import { normalize } from "../../src/features/faq/normalize.ts";
import { evaluate, loadLabelled, pct } from "../../src/features/faq/evaluate.ts";

const kb = loadKnowledgeBase();
const matcher = new FaqMatcher(kb);
const dev = loadLabelled(path.join(repoRoot, "tests/fixtures/devset.yaml"));

describe("dev set", () => {
  const e = evaluate(dev, (q) => matcher.match(q));

  it("is a real held-out set", () => {
    expect(e.inScope + e.outOfScope).toBeGreaterThanOrEqual(300);
    expect(e.outOfScope).toBeGreaterThanOrEqual(40);
    for (const item of dev) if (item.intent !== null) expect(kb.byId.has(item.intent), item.intent).toBe(true);
  });

  it("answers ≥ 90% of in-scope questions with the right intent and rejects ≥ 90% of out-of-scope ones", () => {
    // Items that equal an intent example once normalised are not unseen: report them apart.
    const examples = new Set(kb.intents.flatMap((i) => i.examples.map((x) => normalize(x, kb.lexicon).folded)));
    const unseen = dev.filter((d) => !examples.has(normalize(d.q, kb.lexicon).folded));
    const u = evaluate(unseen, (q) => matcher.match(q));
    console.log(
      [
        `dev set: ${dev.length} questions (${e.inScope} in scope, ${e.outOfScope} out of scope), ${kb.intents.length} intents`,
        `  top-1, strict (decision "answer", right intent): ${pct(e.strictAccuracy)} (${e.answeredCorrectly}/${e.inScope})`,
        `  top-1, lenient (answer or suggest, right intent first): ${pct(e.top1Accuracy)} (${e.top1Correct}/${e.inScope})`,
        `  right intent among the choices offered: ${pct(e.offered / e.inScope)}; in scope fell back: ${e.inScopeFallbacks}`,
        `  answered with a wrong intent: ${e.answeredWrongly} (${pct(e.answeredWrongly / e.inScope)})`,
        `  out-of-scope rejection (fallback): ${pct(e.rejectionRate)} (${e.rejected}/${e.outOfScope}); out of scope answered: ${e.outOfScopeAnswered}`,
        `  fallback precision: ${pct(e.fallbackPrecision)}`,
        `  excluding the ${dev.length - unseen.length} items equal to an intent example once normalised: ` +
          `strict ${pct(u.strictAccuracy)}, lenient ${pct(u.top1Accuracy)}, rejection ${pct(u.rejectionRate)}`,
      ].join("\n"),
    );
    expect(e.strictAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(e.rejectionRate).toBeGreaterThanOrEqual(0.9);
  });
});
