import { loadConfig, type Config } from "../../src/config/env.ts";

/** A valid configuration for tests, with embedded defaults unless overridden. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ LOG_LEVEL: "silent", DATA_DIR: "/tmp/troly06-test-data", PORT: "0", HOST: "127.0.0.1", ...env });
}
