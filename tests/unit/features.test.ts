// The feature contract (core/feature.ts): every feature of the list registers through a registrar that
// records it as the owner, so what each adds can be read back, and a clash names both features.
import { describe, expect, it } from "vitest";
import { createChannelRegistry, CHANNEL_SPECS } from "../../src/channels/registry.ts";
import { loadConversationLexicon } from "../../src/core/conversation.ts";
import type { Feature, FeatureSetup } from "../../src/core/feature.ts";
import { loadMessages } from "../../src/core/messages.ts";
import { MemoryWindowCounter } from "../../src/core/rate-limit.ts";
import { Router } from "../../src/core/router.ts";
import { appFeatures } from "../../src/features/index.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { testConfig } from "../helpers/config.ts";
import { openDatabase } from "../../src/db/client.ts";

async function setup(): Promise<{ router: Router; setup: FeatureSetup; close(): Promise<void> }> {
  // register() touches no database; the client is there because services carry one.
  const db = await openDatabase({ pgliteDir: "memory://" });
  const services = {
    config: testConfig(),
    prisma: db.prisma,
    messages: loadMessages(),
    log: createLogger("silent"),
    registry: createChannelRegistry(CHANNEL_SPECS),
    counter: new MemoryWindowCounter(),
  };
  const router = new Router(async () => []);
  return { router, setup: { services, conversation: loadConversationLexicon(), hooks: { startArguments: [] } }, close: () => db.close() };
}

describe("features", () => {
  it("each feature of the list has its own name and queues", () => {
    const features = appFeatures();
    const names = features.map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
    const queues = features.flatMap((f) => f.queues ?? []);
    expect(new Set(queues).size).toBe(queues.length);
    expect(queues).toEqual(expect.arrayContaining(["broadcast", "reminders", "handoff", "maintenance"]));
  });

  it("registers every command, payload prefix and interceptor under the feature that owns it", async () => {
    const { router, setup: s, close } = await setup();
    try {
      for (const f of appFeatures()) f.register?.(router.forFeature(f.name), s);
      const owned = router.registrations();
      expect(owned.has("")).toBe(false);
      expect(owned.get("basic")).toEqual({ commands: ["start", "help"], payloads: ["menu"], interceptors: [] });
      expect(owned.get("faq")?.payloads).toEqual(["faq"]);
      expect(owned.get("indicators")).toMatchObject({ commands: ["tiendo"], payloads: ["td"] });
      expect(owned.get("subscription")?.interceptors).toEqual(["subscribe-dk"]);
      expect(owned.get("maintenance")).toBeUndefined();
      // Every command /help lists belongs to exactly one feature.
      const all = [...owned.values()].flatMap((r) => r.commands);
      expect(all.sort()).toEqual(router.listCommands().map((c) => c.name).sort());
      // The FAQ handed /start its topic menu, subscription its deep links.
      expect(s.hooks.topicMenu?.().length).toBeGreaterThan(1);
      expect(s.hooks.startArguments).toHaveLength(1);
    } finally {
      await close();
    }
  });

  it("names both features when two register the same command", async () => {
    const { router, setup: s, close } = await setup();
    try {
      const second: Feature = {
        name: "extra",
        register: (r) => void r.command({ name: "viec", description: "x", listedFor: "everyone", run: async () => [] }),
      };
      expect(() => {
        for (const f of [...appFeatures(), second]) f.register?.(router.forFeature(f.name), s);
      }).toThrow("command /viec registered twice: by tasks and extra");
    } finally {
      await close();
    }
  });
});
