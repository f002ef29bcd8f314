// The compiled build as `npm run ask` runs it: scripts/run.mjs (building dist/ first when it is older
// than the sources), dist/cli/ask.js, a fresh embedded database. The answer is the knowledge base's own,
// and a second run, which reads the FAQ from DATA_DIR/cache instead of the YAML, gives the same.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { parseContent } from "../../src/features/faq/knowledge.ts";

const root = path.resolve(import.meta.dirname, "../..");
const dataDir = mkdtempSync(path.join(tmpdir(), "troly06-dist-"));
const env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: "silent", DATABASE_URL: "", REDIS_URL: "" };

async function askCompiled(question: string): Promise<{ intent: string | null; fallback: boolean; answer: string }> {
  const { stdout } = await promisify(execFile)("npm", ["run", "--silent", "ask", "--", "--json", question], { cwd: root, env });
  return JSON.parse(stdout.trim()) as { intent: string | null; fallback: boolean; answer: string };
}

describe("compiled ask (npm run ask → scripts/run.mjs → dist/)", () => {
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  // The first run may build dist/ (tsc) and creates the database with the official unit list.
  it("answers a question with the knowledge base's answer, then again from the cache", { timeout: 240_000 }, async () => {
    const expected = parseContent(readFileSync(path.join(root, "content/vneid_kich_hoat.md"), "utf8")).answer;
    const first = await askCompiled("kich hoat vneid");
    expect(existsSync(path.join(root, "dist/cli/ask.js"))).toBe(true);
    expect(first).toMatchObject({ intent: "vneid_kich_hoat", fallback: false, answer: expected });

    const cache = path.join(dataDir, "cache");
    const faqFile = readdirSync(cache).find((f) => f.startsWith("faq-"));
    expect(faqFile).toBeDefined();
    const written = statSync(path.join(cache, faqFile!)).mtimeMs;
    const second = await askCompiled("kich hoat vneid");
    expect(second).toEqual(first);
    // Read, not built and written again.
    expect(statSync(path.join(cache, faqFile!)).mtimeMs).toBe(written);
  });
});
