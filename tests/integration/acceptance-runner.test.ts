// The acceptance runners (npm run eval:citizen / eval:dialogues) on tiny fixtures of our own, through
// the real pipeline: the scores they print are the ones these fixtures must get.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AcceptanceFileError,
  missingGroups,
  parseAcceptanceDialogues,
  parseAcceptanceItems,
  pipelineAsk,
  runDialogues,
  runItems,
  summarizeItems,
} from "../../src/eval/acceptance.ts";
import { createTestCore, type TestCore } from "../helpers/core.ts";

const root = path.resolve(import.meta.dirname, "../..");
const fixtures = path.join(root, "tests/fixtures/acceptance");
const read = (name: string) => readFileSync(path.join(fixtures, name), "utf8");

describe("acceptance matching rules", () => {
  it("needs one keyword of every group, compared folded", () => {
    expect(missingGroups("Đến Công an cấp xã để cấp lại thẻ.", [["cap lai"], ["cong an", "vneid"]])).toEqual([]);
    expect(missingGroups("Đến Công an cấp xã.", [["cap lai"], ["cong an"]])).toEqual([["cap lai"]]);
    expect(missingGroups("Lệ phí 70.000 đồng", [["70.000", "70k"]])).toEqual([]);
  });

  it("names the line of a malformed item", () => {
    expect(() => parseAcceptanceItems('{"topic":"a","q":"x","expect":[["k"]]}\n{"topic":"a"}\n', "f.jsonl")).toThrow(/f\.jsonl:2/);
    expect(() => parseAcceptanceItems("not json", "f.jsonl")).toThrow(AcceptanceFileError);
    expect(() => parseAcceptanceDialogues('{"topic":"a","turns":[]}', "d.jsonl")).toThrow(/d\.jsonl:1/);
  });
});

describe("acceptance runners through the pipeline", () => {
  let bot: TestCore;
  beforeAll(async () => {
    bot = await createTestCore();
  });
  afterAll(() => bot.close());

  it("scores the tiny item set 3 of 4, with one wrong answer and the out-of-scope line caught", async () => {
    const results = await runItems(parseAcceptanceItems(read("tiny-items.jsonl")), pipelineAsk(bot.pipeline));
    expect(results.map((r) => r.verdict)).toEqual(["pass", "pass", "wrong", "oos-pass"]);
    const summary = summarizeItems(results);
    expect(summary).toMatchObject({ total: 4, passed: 3, inScope: 3, wrong: 1, outOfScope: 1, outOfScopeCaught: 1 });
    expect(summary.byFamily.get("cc")).toEqual({ total: 2, passed: 1 });
  });

  it("scores the tiny dialogue set 1 of 2 whole, 2 of 3 turns", async () => {
    const results = await runDialogues(parseAcceptanceDialogues(read("tiny-dialogues.jsonl")), pipelineAsk(bot.pipeline));
    expect(results.map((r) => r.passed)).toEqual([false, true]);
    expect(results.flatMap((r) => r.turns.map((t) => t.missing.length === 0))).toEqual([true, false, true]);
  });
});

describe("npm run eval:citizen", () => {
  const tsx = path.join(root, "node_modules/.bin/tsx");
  const env = { ...process.env, LOG_LEVEL: "silent", DATABASE_URL: "", REDIS_URL: "" };

  it("prints the score by topic and each failure", async () => {
    const { stdout } = await promisify(execFile)(tsx, ["src/cli/eval.ts", "citizen", path.join(fixtures, "tiny-items.jsonl")], { cwd: root, env });
    expect(stdout).toMatch(/acceptance: 3\/4 = 75\.0%/);
    expect(stdout).toMatch(/cc\s+1\/2/);
    expect(stdout).toMatch(/\[wrong\] cc-lost/);
  }, 120_000);

  it("exits non-zero on a malformed file, naming the line", async () => {
    const run = promisify(execFile)(tsx, ["src/cli/eval.ts", "dialogues", path.join(fixtures, "tiny-items.jsonl")], { cwd: root, env });
    await expect(run).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/tiny-items\.jsonl:1/) });
  }, 120_000);
});
