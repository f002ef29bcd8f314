// /start and /help: the greeting with the topic menu, and the list of commands.
import type { Feature, StartArgumentHandler, TopicMenu } from "../core/feature.ts";
import type { Command, Registrar } from "../core/router.ts";
import type { Reply, TurnContext } from "../core/types.ts";

export type { StartArgumentHandler, TopicMenu };

export interface BasicFeatureOptions {
  topicMenu?: TopicMenu;
  onStartArgument?: StartArgumentHandler;
}

export function registerBasicCommands(router: Registrar, options: BasicFeatureOptions = {}): void {
  const menu = () => options.topicMenu?.() ?? [];
  const greeting = (ctx: TurnContext): Reply => ({ text: ctx.services.messages.welcome, buttons: menu() });

  const start: Command = {
    name: "start",
    aliases: ["batdau"],
    description: "Bắt đầu, xem các chủ đề",
    listedFor: "everyone",
    async run(ctx, args) {
      const extra = args && options.onStartArgument ? await options.onStartArgument(ctx, args) : [];
      return [...extra, greeting(ctx)];
    },
  };
  const help: Command = {
    name: "help",
    aliases: ["trogiup", "huongdan"],
    description: "Hướng dẫn dùng trợ lý",
    listedFor: "everyone",
    async run(ctx) {
      return [{ text: ctx.services.messages.help, buttons: menu() }];
    },
  };
  router.command(start).command(help);
  // The "Menu" button anywhere in the conversation.
  router.payload({ prefix: "menu", run: async (ctx) => [greeting(ctx)] });
}

/** /start, /help and the Menu button; the topic menu and /start arguments come from other features' hooks. */
export const basicFeature: Feature = {
  name: "basic",
  register(router, { hooks }) {
    registerBasicCommands(router, {
      topicMenu: () => hooks.topicMenu?.() ?? [],
      async onStartArgument(ctx, argument) {
        for (const handler of hooks.startArguments) {
          const replies = await handler(ctx, argument);
          if (replies.length) return replies;
        }
        return [];
      },
    });
  },
};
