// The CLI channel, run as a user would run it: a real process, a real embedded database.
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
const dataDir = mkdtempSync(path.join(tmpdir(), "troly06-cli-"));
const env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: "silent", DATABASE_URL: "", REDIS_URL: "" };
const tsx = path.join(root, "node_modules/.bin/tsx");

function ask(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, ["src/cli/ask.ts", ...args], { cwd: root, env });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`))));
    child.stdin.end(input ?? "");
  });
}

describe("CLI channel (npm run ask)", () => {
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  // The first run creates the embedded database and loads the official list of units into it.
  it("answers /start in one process run", { timeout: 120_000 }, async () => {
    const out = await ask(["/start"]);
    expect(out).toMatch(/Xin chào! Tôi là Trợ lý 06/);
  });

  it("answers N stdin lines with N JSON lines, in order", async () => {
    const lines = ["/start", "/help", "/khonglenh", "", "/start"];
    const out = (await ask(["--json"], lines.join("\n") + "\n")).trimEnd().split("\n");
    expect(out).toHaveLength(lines.length);
    const parsed = out.map((l) => JSON.parse(l) as { answer: string; fallback: boolean; intent: string | null; confidence: number; suggestions: string[] });
    expect(parsed[0]!.answer).toMatch(/Xin chào/);
    expect(parsed[1]!.answer).toMatch(/Bạn có thể/);
    expect(parsed[2]!.answer).toMatch(/không biết lệnh \/khonglenh/);
    expect(parsed[3]!.answer).toMatch(/chỉ đọc được tin nhắn chữ/);
    for (const p of parsed) expect(Object.keys(p).sort()).toEqual(["answer", "confidence", "fallback", "intent", "suggestions"]);
  });

  it("says clearly when the embedded database is in use by another process", async () => {
    const sleeper = spawn(process.execPath, ["-e", "setTimeout(() => {}, 20000)"]);
    const { writeFileSync, mkdirSync } = await import("node:fs");
    mkdirSync(path.join(dataDir, "pglite"), { recursive: true });
    writeFileSync(path.join(dataDir, "pglite", "owner.pid"), String(sleeper.pid));
    try {
      await expect(promisify(execFile)(tsx, ["src/cli/ask.ts", "/start"], { cwd: root, env })).rejects.toMatchObject({
        stderr: expect.stringMatching(/in use by process \d+ .*DATABASE_URL/),
      });
    } finally {
      sleeper.kill();
      rmSync(path.join(dataDir, "pglite", "owner.pid"), { force: true });
    }
  });
});
