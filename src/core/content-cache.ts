// A value built from content files (the FAQ's knowledge base and its index, the bot's phrases), kept between
// runs in a cache folder (DATA_DIR/cache): read back while the content files are byte for byte what they
// were and the code is the same, built anew (and the cache file replaced) when either changed. Serialised
// with v8.serialize, which keeps maps, sets, typed arrays and shared references.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { deserialize, serialize } from "node:v8";

/** The app's cache folder: DATA_DIR/cache (DATA_DIR is git-ignored, and writable wherever the app runs). */
export function cacheDir(config: { dataDir: string }): string {
  return path.join(config.dataDir, "cache");
}

export interface CacheSpec {
  /** Names the cache file: `<name>-<hash of the inputs>.v8`. */
  name: string;
  /** Files and folders (read through) whose contents the value is built from. */
  inputs: string[];
}

/** The compiled code (dist/) or the sources (src/, under tsx and vitest), and the installed packages. */
const codeRoot = path.resolve(import.meta.dirname, "..");
const lockFile = path.resolve(codeRoot, "../package-lock.json");

function files(entry: string, each: (file: string) => void): void {
  if (statSync(entry, { throwIfNoEntry: false })?.isDirectory()) {
    for (const name of readdirSync(entry).sort()) files(path.join(entry, name), each);
  } else {
    each(entry);
  }
}

/** Cache files of other inputs are removed once they are this old. */
const STALE_MS = 86_400_000;

let codeKey: string | undefined;

/**
 * Which code this is: path, size and modification time of every file of the code and of the package lock
 * (a few hundred stats, once per process), so that a change anywhere in the code that builds a cached
 * value — or a package update — builds it again; Node's version, which the serialisation depends on.
 */
function codeVersion(): string {
  if (codeKey) return codeKey;
  const hash = createHash("sha256").update(`${process.version}\0`);
  for (const root of [codeRoot, lockFile]) {
    files(root, (file) => {
      const stat = statSync(file, { throwIfNoEntry: false });
      hash.update(`${file}\0${stat?.size}\0${stat?.mtimeMs}\0`);
    });
  }
  return (codeKey = hash.digest("hex"));
}

/** SHA-256 over the inputs' paths and contents, and the code's version. */
export function inputsHash(spec: CacheSpec): string {
  const hash = createHash("sha256").update(`${spec.name}\0${codeVersion()}\0`);
  for (const input of spec.inputs) {
    files(input, (file) => {
      hash.update(`${file}\0`);
      try {
        hash.update(readFileSync(file));
      } catch {
        hash.update("(none)\0"); // a missing input is part of the state too
      }
    });
  }
  return hash.digest("hex");
}

/**
 * `build()`'s value for the inputs as they are now: from `dir` when it holds one for them, else built and
 * written there. `dir` undefined: always built. A cache that cannot be read or written is only slower.
 */
export function cachedBuild<T>(dir: string | undefined, spec: CacheSpec, build: () => T): T {
  if (!dir) return build();
  const name = `${spec.name}-${inputsHash(spec).slice(0, 32)}.v8`;
  const file = path.join(dir, name);
  try {
    return deserialize(readFileSync(file)) as T;
  } catch {
    // not cached yet (or unreadable): build it
  }
  const value = build();
  try {
    mkdirSync(dir, { recursive: true });
    // Other versions go once a day old: not at once, since two checkouts (or tests of two worktrees)
    // sharing a DATA_DIR would otherwise delete each other's.
    for (const old of readdirSync(dir)) {
      const other = path.join(dir, old);
      if (old.startsWith(`${spec.name}-`) && old !== name && Date.now() - (statSync(other, { throwIfNoEntry: false })?.mtimeMs ?? 0) > STALE_MS) {
        rmSync(other, { force: true });
      }
    }
    // Written under another name and renamed: a process reading at the same time never sees half a file.
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, serialize(value));
    renameSync(partial, file);
  } catch {
    // a read-only or vanished folder: the next run builds again
  }
  return value;
}
