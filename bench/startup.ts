// `npm run bench:startup [-- --runs N] [-- --tsx] [-- --root DIR]`: cold-process figures of the two commands
// people run, as their npm scripts run them (the node command line of `ask` and `start` in package.json):
//  - one `ask "kich hoat vneid"`: wall time, CPU time (user + system, all threads: a steadier figure than
//    the wall time on a shared machine) and peak RSS of the whole process (/usr/bin/time -v);
//  - `npm start` until /readyz answers 200 (embedded defaults: PGlite + a child redis-server), its RSS then.
// Each on a fresh DATA_DIR (first start: migrations, the official unit list, the content cache) and on a
// warm one. `--tsx` runs the TypeScript sources through tsx instead of the compiled build. `--root DIR`
// measures another checkout of the project with this same harness (e.g. a worktree of main, for a before
// and after).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";

const argv = process.argv.slice(2);
const option = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const root = path.resolve(option("--root") ?? path.join(import.meta.dirname, ".."));
const runs = Number(option("--runs")) || 3;
const viaTsx = argv.includes("--tsx");
const tsx = path.join(root, "node_modules/.bin/tsx");

/** The node command line of an npm script ("node --liftoff-only scripts/run.mjs cli/ask"), with this node. */
function scriptCommand(name: string): string[] {
  const scripts = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
  const [bin, ...args] = scripts[name]!.split(/\s+/);
  if (bin !== "node") throw new Error(`npm run ${name} does not run node: ${scripts[name]}`);
  return [process.execPath, ...args];
}
const askCmd = viaTsx ? [tsx, "src/cli/ask.ts"] : scriptCommand("ask");
const startCmd = viaTsx ? [tsx, "src/main.ts"] : scriptCommand("start");

function run(cmd: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; cpuMs: number; rssMb: number; code: number | null }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn("/usr/bin/time", ["-v", ...cmd], { cwd: root, env, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("exit", (code) => {
      const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(err)?.[1] ?? 0);
      const seconds = (what: string) => Number(new RegExp(`${what} time \\(seconds\\): ([\\d.]+)`).exec(err)?.[1] ?? 0);
      resolve({ ms: performance.now() - started, cpuMs: (seconds("User") + seconds("System")) * 1000, rssMb: kb / 1024, code });
    });
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Peak RSS (VmHWM) of the app process itself (under --tsx: of the tsx wrapper only, so too low). */
function rssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : 0;
}

async function startToReady(env: NodeJS.ProcessEnv): Promise<{ ms: number; rssMb: number }> {
  const port = await freePort();
  const started = performance.now();
  const [bin, ...args] = startCmd as [string, ...string[]];
  const child = spawn(bin, args, { cwd: root, env: { ...env, PORT: String(port), HOST: "127.0.0.1" }, stdio: "ignore" });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}`);
      if (performance.now() - started > 120_000) throw new Error("not ready after 120 s");
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
      if (ok) return { ms: performance.now() - started, rssMb: rssMb(child.pid!) };
      await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once("exit", r)));
    stopLeftRedis(env.DATA_DIR!);
  }
}

/**
 * A version that is stopped before it has installed its signal handlers (older ones did so only once up,
 * seconds after /readyz) leaves its redis-server running: stop it, so runs do not pile up servers.
 */
function stopLeftRedis(dataDir: string): void {
  const read = (file: string) => {
    try {
      return readFileSync(file, "utf8");
    } catch {
      return "";
    }
  };
  const pid = Number(read(path.join(dataDir, "redis", "redis.pid")).trim());
  if (pid && read(`/proc/${pid}/cmdline`).includes("redis-server")) process.kill(pid, "SIGTERM");
}

function summary(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return `${median.toFixed(0).padStart(6)} (min ${sorted[0]!.toFixed(0)}, max ${sorted.at(-1)!.toFixed(0)})`;
}

if (!viaTsx) {
  // Build once up front, so no run below pays for it.
  const code = (await run([process.execPath, "scripts/run.mjs", "--build"], process.env)).code;
  if (code !== 0) throw new Error("build failed");
}
const baseEnv = { ...process.env, LOG_LEVEL: "warn", NODE_ENV: "production" };
const rows: Array<[string, string, string, string]> = [];
for (const state of ["fresh", "warm"] as const) {
  const ask: Array<{ ms: number; cpuMs: number; rssMb: number }> = [];
  const start: Array<{ ms: number; rssMb: number }> = [];
  const warmDir = mkdtempSync(path.join(tmpdir(), "bench-startup-"));
  if (state === "warm") await run(askCmd.concat("/start"), { ...baseEnv, DATA_DIR: warmDir });
  for (let i = 0; i < runs; i++) {
    const dir = state === "fresh" ? mkdtempSync(path.join(tmpdir(), "bench-startup-")) : warmDir;
    const r = await run(askCmd.concat("kich hoat vneid"), { ...baseEnv, DATA_DIR: dir });
    if (r.code !== 0) throw new Error(`ask exited with ${r.code}`);
    ask.push(r);
    if (state === "fresh") rmSync(dir, { recursive: true, force: true });
  }
  for (let i = 0; i < runs; i++) {
    const dir = state === "fresh" ? mkdtempSync(path.join(tmpdir(), "bench-startup-")) : warmDir;
    start.push(await startToReady({ ...baseEnv, DATA_DIR: dir }));
    if (state === "fresh") rmSync(dir, { recursive: true, force: true });
  }
  rmSync(warmDir, { recursive: true, force: true });
  rows.push([`ask, ${state} DATA_DIR`, summary(ask.map((r) => r.ms)), summary(ask.map((r) => r.cpuMs)), summary(ask.map((r) => r.rssMb))]);
  rows.push([`start → /readyz, ${state} DATA_DIR`, summary(start.map((r) => r.ms)), "", summary(start.map((r) => r.rssMb))]);
}
const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const commit = spawnSync("git", ["-C", root, "log", "-1", "--format=%h"], { encoding: "utf8" }).stdout.trim();
console.log(`${root} (${commit || "?"}), ${viaTsx ? "tsx (sources)" : "compiled (dist/)"}, ${runs} runs each, load average ${load} on ${availableParallelism()} cores; median (min, max)`);
console.log(`ask: ${askCmd.slice(1).join(" ")}; start: ${startCmd.slice(1).join(" ")}`);
console.log(`| ${"what".padEnd(32)} | ${"wall ms".padEnd(30)} | ${"CPU ms".padEnd(30)} | ${"peak RSS, MB".padEnd(30)} |`);
console.log(`|${"-".repeat(34)}|${"-".repeat(32)}|${"-".repeat(32)}|${"-".repeat(32)}|`);
for (const [what, ms, cpu, mb] of rows) console.log(`| ${what.padEnd(32)} | ${ms.padEnd(30)} | ${cpu.padEnd(30)} | ${mb.padEnd(30)} |`);
console.log("Targets: ask < 1500 ms and < 250 MB; start → /readyz < 4000 ms (warm).");
