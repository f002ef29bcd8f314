import { randomBytes } from "node:crypto";
import { loadConfig, type Config } from "../../src/config/env.ts";

/**
 * A valid configuration for tests, with embedded defaults unless overridden. The official unit list is
 * off (UNIT_LIST=none): most tests bring a small unit tree of their own; tests of the list turn it on.
 */
export function testConfig(env: Record<string, string> = {}): Config {
  // Each test app gets its own queues: test files run in parallel on one Redis, and another app's outbox
  // worker would otherwise take this app's jobs and send them to its own fake platform.
  const QUEUE_PREFIX = `test-${randomBytes(4).toString("hex")}`;
  return loadConfig({ LOG_LEVEL: "silent", DATA_DIR: "/tmp/troly06-test-data", PORT: "0", HOST: "127.0.0.1", UNIT_LIST: "none", QUEUE_PREFIX, ...env });
}
