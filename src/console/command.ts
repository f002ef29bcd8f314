// `/web`: the one chat command of the console. Staff ask for a sign-in link in their private chat with the
// bot (Telegram or Zalo: an account that is one person's own); everyone else gets the usual refusal.
import type { Config } from "../config/env.ts";
import { actorLabel, formatVietnamTime, refusal } from "../core/helpers.ts";
import { fill } from "../core/messages.ts";
import type { Feature } from "../core/feature.ts";
import type { Registrar } from "../core/router.ts";
import { isStaff } from "../security/policy.ts";
import { createSignInLink } from "./auth.ts";

/** Channels whose private chat proves who the person is (the web chat's sessions are anonymous). */
const SIGN_IN_CHANNELS = new Set(["telegram", "zalo"]);

/** Where staff open the console: CONSOLE_URL, else PUBLIC_URL, else this machine. */
export function consoleBaseUrl(config: Pick<Config, "CONSOLE_URL" | "PUBLIC_URL" | "PORT">): string {
  return (config.CONSOLE_URL ?? config.PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/+$/, "");
}

export function registerConsoleCommand(router: Registrar): void {
  router.command({
    name: "web",
    description: "Mở Bàn làm việc trên máy tính (cán bộ)",
    listedFor: "staff",
    async run(ctx) {
      if (!isStaff(ctx.actor) || !SIGN_IN_CHANNELS.has(ctx.message.channel)) return refusal(ctx);
      if (ctx.message.isGroup) return [{ text: ctx.services.messages.consolePrivateOnly }];
      ctx.doNotLog = true; // the link signs in whoever holds it: it must not sit in the conversation log
      const { config, prisma, registry } = ctx.services;
      const link = await createSignInLink(prisma, { personId: ctx.actor.personId, channel: registry.toEnum(ctx.message.channel), identityId: ctx.actor.identityId, actorLabel: actorLabel(ctx) });
      const url = `${consoleBaseUrl(config)}/console/dang-nhap?t=${link.token}`;
      return [{ text: fill(ctx.services.messages.consoleLink, { url, expires: formatVietnamTime(link.expiresAt, config.TZ) }) }];
    },
  });
}

/** The console's part of the conversation: /web. Its pages are served by console/routes.ts. */
export const consoleFeature: Feature = {
  name: "console",
  register: (router) => registerConsoleCommand(router),
};
