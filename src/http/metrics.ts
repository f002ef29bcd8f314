// Prometheus metrics. Labels carry channels and outcomes, never user ids.
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface AppMetrics {
  registry: Registry;
  turns: Counter<"channel" | "outcome">;
  turnSeconds: Histogram<"channel">;
}

export function createMetrics(): AppMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    turns: new Counter({
      name: "troly06_turns_total",
      help: "Messages handled, by channel and outcome (answered, fallback, command)",
      labelNames: ["channel", "outcome"],
      registers: [registry],
    }),
    turnSeconds: new Histogram({
      name: "troly06_turn_seconds",
      help: "Time to produce the replies to one message",
      labelNames: ["channel"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
}
