// THE list of channels. Everything else that depends on which channels exist (the channel names, the
// Prisma enum mapping, outbox queues and rates, who broadcasts and reminders can reach, labels in
// Vietnamese texts, the admin CLI's --channel, the broadcast API's schema, which adapters start) is derived
// from CHANNEL_SPECS through a registry made by createChannelRegistry().
//
// Adding a channel: its adapter folder (src/channels/<name>/, exporting `createAdapter(deps)`), one entry
// here, its value in the `Channel` enum of prisma/schema.prisma and a migration adding it to the database
// enum (`npm run db:diff -- --create add_<name>_channel`); settings of its own (token, secret) go in
// config/env.ts. See ARCHITECTURE.md.
//
// The data (CHANNEL_SPECS) is kept apart from the helpers so that a test can build a registry with a fake
// entry and hand it to the features. This module imports nothing of the app but the generated enum type
// (config, core and features import it); adapters are loaded lazily, only when their channel is on.
import type { Channel as ChannelEnum } from "../generated/prisma/enums.ts";

export type { ChannelEnum };

export interface ChannelCapabilities {
  /** Shows Reply.buttons as buttons (without them the adapter renders numbered options). */
  buttons: boolean;
  /** Uploads Reply.image as a photo (without it the image's caption goes as text). */
  photoUpload: boolean;
  /** Can be sent to outside a conversation turn, through the outbox: announcements, reminders, handoff relays. */
  sendable: boolean;
  /** Strangers write on it: each user's messages are rate limited (the CLI is the operator's own tool). */
  public: boolean;
}

/** What a channel's lazy loader resolves to: its adapter module (checked against core/ports.ts in channels/index.ts). */
export interface ChannelModule {
  createAdapter: unknown;
  /** The link of a unit's QR code (`admin qr`), when the channel has one. */
  qrLink?: unknown;
}

export interface ChannelSpec {
  /** Lower case letters and digits: IncomingMessage.channel, outbox queue `outbox-<name>`, `--channel <name>`, API values. */
  name: string;
  /** The value of the Prisma enum `Channel` stored for it (ChannelIdentity.channel, Broadcast.channels…). */
  enumValue: ChannelEnum;
  /** How Vietnamese texts name it ("Chỉ Telegram", "người nhận không có kênh Telegram/Zalo nào"). */
  label: string;
  capabilities: ChannelCapabilities;
  /** Messages per second of its outbox queue (sendable channels); `<NAME>_SEND_PER_SECOND` overrides it. */
  defaultRate?: number;
  /** The setting that turns its adapter on (its token); the adapter starts only when it is set. */
  enabledBy?: string;
  /** Loads its adapter module; absent for a channel the app does not serve (the CLI runs its own process). */
  load?: () => Promise<ChannelModule>;
}

export const CHANNEL_SPECS = [
  {
    name: "telegram",
    enumValue: "TELEGRAM",
    label: "Telegram",
    capabilities: { buttons: true, photoUpload: true, sendable: true, public: true },
    defaultRate: 25,
    enabledBy: "TELEGRAM_BOT_TOKEN",
    load: () => import("./telegram/index.ts"),
  },
  {
    name: "zalo",
    enumValue: "ZALO",
    label: "Zalo",
    capabilities: { buttons: false, photoUpload: false, sendable: true, public: true },
    defaultRate: 10,
    enabledBy: "ZALO_BOT_TOKEN",
    load: () => import("./zalo/adapter.ts"),
  },
  {
    // Always on (no token): the chat page GET /chat and the widget /widget.js. Sending outside a turn
    // appends to the session's transcript, which the page receives by server-sent events or at its next visit.
    name: "web",
    enumValue: "WEB",
    label: "trang web",
    capabilities: { buttons: true, photoUpload: true, sendable: true, public: true },
    defaultRate: 200,
    load: () => import("./web/adapter.ts"),
  },
  {
    name: "cli",
    enumValue: "CLI",
    label: "dòng lệnh",
    capabilities: { buttons: false, photoUpload: false, sendable: false, public: false },
  },
] as const satisfies readonly ChannelSpec[];

export type ChannelName = (typeof CHANNEL_SPECS)[number]["name"];

/** `TELEGRAM_SEND_PER_SECOND`: the setting of a sendable channel's outbox rate. */
export const rateVariable = (spec: Pick<ChannelSpec, "name">) => `${spec.name.toUpperCase()}_SEND_PER_SECOND`;

export interface ChannelRegistry {
  readonly specs: readonly ChannelSpec[];
  /** Every channel name, in registry order. */
  readonly names: readonly ChannelName[];
  /** Channels reachable outside a turn (announcements, reminders, handoff relays), in registry order. */
  readonly sendable: readonly ChannelName[];
  has(name: string): name is ChannelName;
  /** The spec of a channel; throws on a name that is not in the registry. */
  get(name: string): ChannelSpec;
  /** The Prisma enum value of a channel name. */
  toEnum(name: string): ChannelEnum;
  /** The channel name of a stored enum value; throws on a value that is not in the registry. */
  fromEnum(value: string): ChannelName;
  /** The channel name of a stored enum value, or undefined when the registry has no such channel. */
  channelOf(value: string): ChannelName | undefined;
  label(name: string): string;
  /** Outbox rate per sendable channel: the `<NAME>_SEND_PER_SECOND` setting when given, else the default. */
  rates(settings?: Readonly<Record<string, unknown>>): Record<ChannelName, number>;
}

/** Builds the registry's look-ups over a list of specs, checking that names and enum values are unique. */
export function createChannelRegistry(specs: readonly ChannelSpec[]): ChannelRegistry {
  const byName = new Map<string, ChannelSpec>();
  const byEnum = new Map<string, ChannelSpec>();
  for (const spec of specs) {
    if (!/^[a-z][a-z0-9]{0,19}$/.test(spec.name)) throw new Error(`channel name "${spec.name}": expected 1–20 lower-case letters and digits`);
    if (byName.has(spec.name)) throw new Error(`channel "${spec.name}" listed twice`);
    if (byEnum.has(spec.enumValue)) throw new Error(`channel enum value ${spec.enumValue} used by "${byEnum.get(spec.enumValue)!.name}" and "${spec.name}"`);
    if (spec.capabilities.sendable && !(spec.defaultRate && spec.defaultRate > 0)) throw new Error(`sendable channel "${spec.name}" needs a defaultRate`);
    byName.set(spec.name, spec);
    byEnum.set(spec.enumValue, spec);
  }
  const get = (name: string): ChannelSpec => {
    const spec = byName.get(name);
    if (!spec) throw new Error(`unknown channel "${name}"`);
    return spec;
  };
  const names = specs.map((s) => s.name as ChannelName);
  const sendable = specs.filter((s) => s.capabilities.sendable).map((s) => s.name as ChannelName);
  return {
    specs,
    names,
    sendable,
    has: (name): name is ChannelName => byName.has(name),
    get,
    toEnum: (name) => get(name).enumValue,
    fromEnum: (value) => {
      const spec = byEnum.get(value);
      if (!spec) throw new Error(`unknown channel enum value ${value}`);
      return spec.name as ChannelName;
    },
    channelOf: (value) => byEnum.get(value)?.name as ChannelName | undefined,
    label: (name) => get(name).label,
    rates: (settings = {}) =>
      Object.fromEntries(
        specs
          .filter((s) => s.capabilities.sendable)
          .map((s) => {
            const given = settings[rateVariable(s)];
            return [s.name, typeof given === "number" ? given : s.defaultRate!];
          }),
      ) as Record<ChannelName, number>,
  };
}

/** The app's registry, over CHANNEL_SPECS. Features take a registry in their dependencies and default to this one. */
export const channelRegistry: ChannelRegistry = createChannelRegistry(CHANNEL_SPECS);
