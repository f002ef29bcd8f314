// «Chuyển sang Zalo / Telegram»: where a web visitor can go on to the bot's other channels, carrying their
// unit, so that they land subscribed to the same commune there. The links are the ones the unit's QR codes
// hold (each channel's own qrLink: Telegram's deep link `?start=u_<CODE>` subscribes on arrival; Zalo takes
// no start parameter, so the visitor sends "DK <CODE>" first, as printed under Zalo's QR code). Each link
// comes with its QR code as a PNG data URL, for a visitor on a desk PC who wants the bot on their phone.
//
// The links need the bot's name, which a channel asks its Bot API for (getMe) unless configured: they are
// kept per unit for an hour, and a failure is not asked again for a minute (the page just offers less).
import type { Config } from "../../config/env.ts";
import { loadQrLink, channelEnabled } from "../index.ts";
import { channelRegistry } from "../registry.ts";
import { qrPng } from "../../admin/qr.ts";
import { startArgumentFor, subscribeMessageFor } from "../../features/subscription.ts";
import type { Logger } from "../../logging/logger.ts";

export interface MoveOption {
  channel: string;
  /** "Telegram", "Zalo". */
  label: string;
  link: string;
  /** The link as a QR code (data:image/png;base64,…). */
  qr: string;
  /** What to send first when the link cannot carry the unit (Zalo: "DK 19123"). */
  firstMessage?: string;
}

const OTHER_CHANNELS = ["telegram", "zalo"];
const KEEP_MS = 3_600_000;
const RETRY_MS = 60_000;
const MAX_KEPT = 5_000;

export class MoveLinks {
  private readonly kept = new Map<string, { at: number; option: MoveOption | null }>();

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
  ) {}

  /** The channels the visitor can move to, for their unit (or none: the bots' plain links). */
  async options(unitCode: string | null): Promise<MoveOption[]> {
    const specs = channelRegistry.specs.filter((s) => OTHER_CHANNELS.includes(s.name) && channelEnabled(this.config, s));
    const found = await Promise.all(specs.map((spec) => this.option(spec, unitCode)));
    return found.filter((o): o is MoveOption => o !== null);
  }

  private async option(spec: (typeof channelRegistry.specs)[number], unitCode: string | null): Promise<MoveOption | null> {
    const key = `${spec.name}:${unitCode ?? ""}`;
    const now = Date.now();
    const kept = this.kept.get(key);
    if (kept && now - kept.at < (kept.option ? KEEP_MS : RETRY_MS)) return kept.option;
    let option: MoveOption | null = null;
    try {
      const qrLink = await loadQrLink(spec);
      if (qrLink) {
        const made = await qrLink(this.config, { startArgument: startArgumentFor(unitCode ?? "") });
        let link = made.link;
        // No unit: the bot itself, without an empty start argument.
        if (!unitCode) {
          const url = new URL(link);
          url.search = "";
          link = url.toString();
        }
        option = {
          channel: spec.name,
          label: spec.label,
          link,
          qr: `data:image/png;base64,${(await qrPng(link)).toString("base64")}`,
          ...(!made.carriesStart && unitCode ? { firstMessage: subscribeMessageFor(unitCode) } : {}),
        };
      }
    } catch (error) {
      this.log.warn({ channel: spec.name, err: error instanceof Error ? error.message : String(error) }, "web: no link to move to this channel");
    }
    if (this.kept.size >= MAX_KEPT) this.kept.clear();
    this.kept.set(key, { at: now, option });
    return option;
  }
}
