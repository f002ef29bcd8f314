// The layering of src/, read from the import statements: no import circles between files, none between
// features, and channel adapters never reach for the composition root.
// Counted: every static `import … from` and `export … from`, type-only ones included (a circle of types is
// still a circle for whoever reads the code). Not counted: `import()` expressions, which load a module
// later, on demand (the channel registry's adapter factories).
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const SRC = path.resolve(import.meta.dirname, "../../src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "generated" ? [] : sourceFiles(full);
    return entry.name.endsWith(".ts") ? [full] : [];
  });
}

/** file (relative to src, without .ts) → the files of src it imports statically. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const rel = (file: string) => path.relative(SRC, file).replace(/\.ts$/, "");
  for (const file of sourceFiles(SRC)) {
    const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest);
    const deps: string[] = [];
    for (const statement of source.statements) {
      if (!(ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement))) continue;
      const spec = statement.moduleSpecifier;
      if (!spec || !ts.isStringLiteral(spec) || !spec.text.startsWith(".")) continue;
      const target = rel(path.resolve(path.dirname(file), spec.text));
      if (!target.startsWith("generated/")) deps.push(target);
    }
    graph.set(rel(file), deps);
  }
  return graph;
}

/** Strongly connected components with more than one node (Tarjan): each is an import circle. */
function circles(graph: Map<string, Iterable<string>>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** The same graph with each feature folded into one node ("features/tasks"). */
function featureGraph(graph: Map<string, string[]>): Map<string, Set<string>> {
  const node = (file: string) => (file.startsWith("features/") ? file.split("/").slice(0, 2).join("/").replace(/\.ts$/, "") : file);
  const folded = new Map<string, Set<string>>();
  for (const [file, deps] of graph) {
    const from = node(file);
    const set = folded.get(from) ?? new Set<string>();
    for (const dep of deps) if (node(dep) !== from) set.add(node(dep));
    folded.set(from, set);
  }
  return folded;
}

describe("architecture", () => {
  const graph = importGraph();

  it("reads the imports (the checker itself finds a circle when there is one)", () => {
    expect(graph.get("core/ports")).toBeDefined();
    expect(circles(new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["a"]]]))).toEqual([["a", "b", "c"]]);
  });

  it("has no import circle between files", () => {
    expect(circles(graph)).toEqual([]);
  });

  it("has no import circle between features (reminders depend on tasks, not the reverse)", () => {
    expect(circles(featureGraph(graph))).toEqual([]);
    expect(graph.get("features/reminders/tasks")).toContain("features/tasks/service");
  });

  it("the composition root knows the features only through their list (features/index.ts)", () => {
    expect(graph.get("app")!.filter((dep) => dep.startsWith("features/"))).toEqual(["features/index"]);
  });

  it("channel adapters and features never import the composition root", () => {
    const offenders = [...graph].filter(([file, deps]) => /^(channels|features|outbox|core)\//.test(file) && deps.includes("app")).map(([file]) => file);
    expect(offenders).toEqual([]);
  });
});
