// The typed queue registry (queue/registry.ts) and the typed session slots (core/session.ts): payloads and
// dialogue state are parsed before a handler sees them.
import { UnrecoverableError } from "bullmq";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { offeredChoices } from "../../src/core/conversation.ts";
import { parseDialogueState, sessionSlot } from "../../src/core/session.ts";
import { broadcastQueue, handoffQueue, maintenanceQueue, outboundJobSchema, parseJob, reminderQueue } from "../../src/queue/registry.ts";
import { readContext } from "../../src/features/faq/followup.ts";

describe("queue registry", () => {
  it("names every queue once", () => {
    const names = [broadcastQueue, reminderQueue, handoffQueue, maintenanceQueue].map((q) => q.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it("parses a job's payload by its name (ids written as strings by older versions included)", () => {
    expect(parseJob(handoffQueue, { name: "escalate", data: { ticketId: 12 } })).toEqual({ name: "escalate", data: { ticketId: 12 } });
    expect(parseJob(reminderQueue, { name: "reminder", data: { id: "7" } }).data).toEqual({ id: 7 });
    expect(parseJob(reminderQueue, { name: "daily-planner", data: undefined }).data).toEqual({});
  });

  it("fails a job that does not fit for good, naming the queue and the field", () => {
    expect(() => parseJob(broadcastQueue, { name: "expand", data: { broadcastId: "abc" } })).toThrow(UnrecoverableError);
    expect(() => parseJob(broadcastQueue, { name: "expand", data: {} })).toThrow(/broadcast\/expand.*broadcastId/s);
    expect(() => parseJob(broadcastQueue, { name: "toString", data: {} })).toThrow(/no job "toString" on queue broadcast/);
  });

  it("checks an outbox message's shape", () => {
    const job = { key: "b-1-2", channel: "telegram", chatId: "42", kind: "broadcast", ref: { broadcastId: 1 }, replies: [{ text: "Xin chào" }] };
    expect(outboundJobSchema.parse(job)).toEqual(job);
    expect(outboundJobSchema.safeParse({ ...job, replies: [{ buttons: [] }] }).success).toBe(false);
  });
});

describe("session slots", () => {
  it("reads a slot that fits its schema, and one that does not as absent", () => {
    const slot = sessionSlot("test-slot", z.object({ n: z.number() }));
    const state: Record<string, unknown> = {};
    slot.set(state, { n: 1 });
    expect(slot.get(state)).toEqual({ n: 1 });
    expect(slot.get({ "test-slot": { n: "1" } })).toBeUndefined();
    slot.set(state, undefined);
    expect(state).toEqual({});
    expect(() => sessionSlot("test-slot", z.string())).toThrow(/declared twice/);
  });

  it("gives features nothing from damaged state", () => {
    expect(parseDialogueState(null)).toEqual({});
    expect(parseDialogueState([1, 2])).toEqual({});
    expect(parseDialogueState({ a: 1 })).toEqual({ a: 1 });
    expect(offeredChoices({ offered: { buttons: "1,2", at: Date.now() } })).toEqual([]);
    expect(offeredChoices({ offered: { buttons: [{ label: "A", payload: "a" }], at: Date.now() } })).toEqual([{ label: "A", payload: "a" }]);
    expect(readContext({ faq: { intent: 5, at: Date.now() } }, Date.now())).toBeNull();
  });
});
