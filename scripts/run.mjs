// Runs a compiled entry point: `node scripts/run.mjs main` or `node scripts/run.mjs cli/ask [args…]`.
// Builds dist/ first when it is missing or older than a source file (one stat per file of src/, a few
// ms), so `npm ci && npm start` on a fresh clone needs no separate build step. Plain JS: it must run
// before anything is compiled.
import { spawnSync } from "node:child_process";
import { cpSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const root = path.resolve(import.meta.dirname, "..");
const stamp = path.join(root, "dist", ".build-stamp");

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(full) : statSync(full).mtimeMs);
  }
  return latest;
}

export function isStale() {
  let built;
  try {
    built = statSync(stamp).mtimeMs;
  } catch {
    return true;
  }
  // An image holds dist/ without the sources: nothing to compare with, the build is what there is.
  const mtime = (f) => { try { return statSync(path.join(root, f)).mtimeMs; } catch { return 0; } };
  if (!mtime("src")) return false;
  const sources = Math.max(newest(path.join(root, "src")), mtime("tsconfig.json"), mtime("tsconfig.build.json"));
  return sources > built;
}

export function build() {
  // Type errors are `npm run typecheck`'s business (and `npm test`'s); the build only emits (noCheck).
  const tsc = spawnSync(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-p", path.join(root, "tsconfig.build.json")], { stdio: "inherit" });
  if (tsc.status !== 0) throw new Error("build failed");
  // Files read at run time next to the modules that serve them.
  for (const dir of ["channels/web/assets", "console/assets"]) {
    cpSync(path.join(root, "src", dir), path.join(root, "dist", dir), { recursive: true });
  }
  writeFileSync(stamp, new Date().toISOString());
}

const [entry, ...args] = process.argv.slice(2);
if (entry === "--build") {
  build();
} else if (entry) {
  if (isStale()) {
    console.error("Building dist/ (sources changed)…");
    build();
  }
  process.setSourceMapsEnabled(true);
  // The entry sees its own arguments where it expects them.
  process.argv = [process.argv[0], path.join(root, "dist", `${entry}.js`), ...args];
  await import(pathToFileURL(path.join(root, "dist", `${entry}.js`)).href);
}
