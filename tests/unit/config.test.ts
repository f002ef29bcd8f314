import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/env.ts";

describe("configuration", () => {
  it("starts with embedded defaults when nothing is set", () => {
    const config = loadConfig({}, "/srv/app");
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.REDIS_URL).toBeUndefined();
    expect(config.PORT).toBe(3000);
    expect(config.TZ).toBe("Asia/Ho_Chi_Minh");
    expect(config.dataDir).toBe("/srv/app/data");
    expect(config.TELEGRAM_API_ROOT).toBe("https://api.telegram.org");
    expect(config.telegramMode).toBe("polling");
    expect(config.RATE_LIMIT_PER_MINUTE).toBe(20);
    expect(config.CONVERSATION_RETENTION_DAYS).toBe(90);
  });

  it("treats empty values as unset (as .env files write them)", () => {
    const config = loadConfig({ DATABASE_URL: "", REDIS_URL: " ", TELEGRAM_BOT_TOKEN: "" });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.REDIS_URL).toBeUndefined();
    expect(config.TELEGRAM_BOT_TOKEN).toBeUndefined();
  });

  it.each([
    ["PORT", "eighty", /Invalid setting PORT: expected a whole number from 0 to 65535 \(got "eighty"\)/],
    ["PORT", "70000", /PORT: expected a whole number/],
    ["DATABASE_URL", "mysql://x", /DATABASE_URL: expected a postgres:\/\/ .*\(value hidden\)/],
    ["REDIS_URL", "localhost:6379", /REDIS_URL: expected a redis:\/\//],
    ["TZ", "Mars/Olympus", /TZ: expected an IANA time zone/],
    ["LOG_LEVEL", "loud", /LOG_LEVEL/],
    ["TELEGRAM_BOT_TOKEN", "abc", /TELEGRAM_BOT_TOKEN: expected a token from @BotFather.*\(value hidden\)/],
    ["PUBLIC_URL", "not a url", /PUBLIC_URL: expected an https:\/\/ URL/],
    ["QUIET_HOURS_START", "25:00", /QUIET_HOURS_START: expected a time of day as HH:MM/],
    ["TELEGRAM_MODE", "push", /TELEGRAM_MODE: expected webhook or polling/],
    ["PROCESS_ROLE", "scheduler", /Invalid setting PROCESS_ROLE: expected web, worker or all \(got "scheduler"\)/],
  ])("rejects a bad %s with one line naming it", (name, value, message) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message.split("\n")).toHaveLength(1);
  });

  it("never prints a secret value in its error", () => {
    expect(() => loadConfig({ TELEGRAM_BOT_TOKEN: "123:short" })).toThrow(/value hidden/);
    expect(() => loadConfig({ TELEGRAM_BOT_TOKEN: "123:short" })).not.toThrow(/short/);
  });

  it("reads PROCESS_ROLE (default all); web and worker need a shared database and Redis", () => {
    expect(loadConfig({}).PROCESS_ROLE).toBe("all");
    const shared = { DATABASE_URL: "postgresql://db/troly06", REDIS_URL: "redis://redis:6379" };
    expect(loadConfig({ ...shared, PROCESS_ROLE: "web" }).PROCESS_ROLE).toBe("web");
    expect(loadConfig({ ...shared, PROCESS_ROLE: "worker" }).PROCESS_ROLE).toBe("worker");
    expect(() => loadConfig({ PROCESS_ROLE: "worker", REDIS_URL: shared.REDIS_URL })).toThrow(/PROCESS_ROLE: worker needs DATABASE_URL and REDIS_URL/);
    expect(() => loadConfig({ PROCESS_ROLE: "web", DATABASE_URL: shared.DATABASE_URL })).toThrow(/REDIS_URL empty/);
  });

  it("needs a webhook secret when a channel runs in webhook mode", () => {
    const env = { TELEGRAM_BOT_TOKEN: "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ", PUBLIC_URL: "https://bot.example.vn" };
    expect(() => loadConfig(env)).toThrow(/TELEGRAM_WEBHOOK_SECRET: required when TELEGRAM_MODE is webhook/);
    expect(loadConfig({ ...env, TELEGRAM_WEBHOOK_SECRET: "s3cret-value-123" }).telegramMode).toBe("webhook");
  });

  it("reads TRUST_PROXY as a list of addresses and CIDR ranges, and refuses anything else", () => {
    expect(loadConfig({}).TRUST_PROXY).toEqual([]);
    expect(loadConfig({ TRUST_PROXY: " 127.0.0.1, 10.0.0.0/8 ,fd00::/8,loopback" }).TRUST_PROXY).toEqual([
      "127.0.0.1",
      "10.0.0.0/8",
      "fd00::/8",
      "loopback",
    ]);
    for (const bad of ["true", "10.0.0.0/33", "10.0.0/8", "*", "10.0.0.1/8/2", "example.com"]) {
      expect(() => loadConfig({ TRUST_PROXY: bad }), bad).toThrow(/TRUST_PROXY/);
    }
  });
});
