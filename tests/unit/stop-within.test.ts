// Shutdown steps are bounded: a step that never ends (a connection to a dead Redis or database) is left
// behind when the budget is spent, and the steps after it still run.
import { describe, expect, it } from "vitest";
import { stopWithin } from "../../src/app.ts";
import { createLogger } from "../../src/logging/logger.ts";

describe("stopWithin", () => {
  it("ends within the budget plus a second when a step hangs, and still runs the later steps", async () => {
    const ran: string[] = [];
    const lines: string[] = [];
    const log = createLogger("warn", { write: (line: string) => void lines.push(line) });
    const started = Date.now();
    await stopWithin(
      [
        { name: "http", run: async () => void ran.push("http") },
        { name: "queues", run: () => new Promise<void>(() => ran.push("queues")) }, // never ends
        { name: "redis-server", run: async () => void ran.push("redis-server") },
        { name: "database", run: () => new Promise<void>(() => ran.push("database")) }, // never ends either
      ],
      800,
      log,
    );
    const took = Date.now() - started;
    expect(ran).toEqual(["http", "queues", "redis-server", "database"]);
    expect(took).toBeGreaterThanOrEqual(790);
    expect(took).toBeLessThan(800 + 1_000 + 500);
    expect(lines.filter((l) => l.includes("did not finish in time"))).toHaveLength(2);
  });

  it("runs the steps one after another while there is time, and logs a failing step without stopping", async () => {
    const ran: string[] = [];
    const lines: string[] = [];
    const log = createLogger("warn", { write: (line: string) => void lines.push(line) });
    await stopWithin(
      [
        { name: "a", run: async () => {
          await new Promise((r) => setTimeout(r, 50));
          ran.push("a");
        } },
        { name: "b", run: async () => {
          ran.push("b");
          throw new Error("boom");
        } },
        { name: "c", run: async () => void ran.push("c") },
      ],
      5_000,
      log,
    );
    expect(ran).toEqual(["a", "b", "c"]);
    expect(lines.filter((l) => l.includes("error while stopping"))).toHaveLength(1);
  });
});
