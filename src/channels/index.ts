// Builds the adapters of the channels that are on: every registry entry with a loader whose `enabledBy`
// setting (its token) is set. Adapter modules are imported only then, so a channel that is off costs nothing.
import type { Config } from "../config/env.ts";
import type { ChannelAdapter, ChannelDeps, ChannelFactory, QrLink } from "../core/ports.ts";
import { CHANNEL_SPECS, channelRegistry, type ChannelRegistry } from "./registry.ts";

export type { ChannelDeps };

// Compile-time checks: every loader in CHANNEL_SPECS resolves to a module whose createAdapter is a
// ChannelFactory, and whose qrLink, when it has one, is a QrLink.
type LoadedModule = Awaited<ReturnType<Extract<(typeof CHANNEL_SPECS)[number], { load: unknown }>["load"]>>;
const factoriesAreChannelFactories: LoadedModule["createAdapter"] extends ChannelFactory ? true : never = true;
const qrLinksAreQrLinks: Extract<LoadedModule, { qrLink: unknown }>["qrLink"] extends QrLink ? true : never = true;
void factoriesAreChannelFactories;
void qrLinksAreQrLinks;

/** The QR link maker of a channel's adapter module, or undefined when the channel has none. */
export async function loadQrLink(spec: ChannelRegistry["specs"][number]): Promise<QrLink | undefined> {
  if (!spec.load) return undefined;
  const module = (await spec.load()) as { qrLink?: QrLink };
  return module.qrLink;
}

/** Whether a channel's adapter should start: it has one, and the setting that turns it on is set. */
export function channelEnabled(config: Config, spec: ChannelRegistry["specs"][number]): boolean {
  if (!spec.load) return false;
  if (!spec.enabledBy) return true;
  const value = (config as unknown as Record<string, unknown>)[spec.enabledBy];
  return typeof value === "string" && value.length > 0;
}

export async function createChannels(deps: ChannelDeps, registry: ChannelRegistry = channelRegistry): Promise<ChannelAdapter[]> {
  const adapters: ChannelAdapter[] = [];
  for (const spec of registry.specs) {
    if (!spec.load) continue;
    if (!channelEnabled(deps.config, spec)) {
      deps.log.info(`${spec.label} channel is off (set ${spec.enabledBy} to turn it on)`);
      continue;
    }
    // Checked above for the registry's own entries; a test's fake entry brings its own factory.
    const { createAdapter } = (await spec.load()) as { createAdapter: ChannelFactory };
    adapters.push(createAdapter(deps));
  }
  return adapters;
}
