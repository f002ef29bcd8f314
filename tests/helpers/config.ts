import { loadConfig, type Config } from "../../src/config/env.ts";

/**
 * A valid configuration for tests, with embedded defaults unless overridden. The official unit list is
 * off (UNIT_LIST=none): most tests bring a small unit tree of their own; tests of the list turn it on.
 */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ LOG_LEVEL: "silent", DATA_DIR: "/tmp/troly06-test-data", PORT: "0", HOST: "127.0.0.1", UNIT_LIST: "none", ...env });
}
