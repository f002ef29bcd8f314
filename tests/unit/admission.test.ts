// Turns are admitted first come, first served, at most `limit` at once.
import { describe, expect, it } from "vitest";
import { Admission } from "../../src/core/admission.ts";

const tick = () => new Promise((r) => setImmediate(r));

describe("Admission", () => {
  it("runs at most `limit` at once and starts the waiting ones in arrival order", async () => {
    const admission = new Admission(2);
    const started: number[] = [];
    const release = new Map<number, () => void>();
    const jobs = [0, 1, 2, 3, 4].map((n) =>
      admission.run(async () => {
        started.push(n);
        await new Promise<void>((resolve) => release.set(n, resolve));
        return n;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    expect(admission.inFlight).toBe(2);
    expect(admission.queued).toBe(3);
    release.get(1)!();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    release.get(0)!();
    await tick();
    expect(started).toEqual([0, 1, 2, 3]);
    for (const n of [2, 3]) release.get(n)!();
    await tick();
    await tick();
    release.get(4)!();
    expect(await Promise.all(jobs)).toEqual([0, 1, 2, 3, 4]);
    expect(admission.inFlight).toBe(0);
    expect(admission.queued).toBe(0);
  });

  it("frees the place of a turn that throws", async () => {
    const admission = new Admission(1);
    await expect(admission.run(async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await admission.run(async () => "next")).toBe("next");
    expect(admission.inFlight).toBe(0);
  });

  it("refuses a limit below one", () => {
    expect(() => new Admission(0)).toThrow();
  });
});
