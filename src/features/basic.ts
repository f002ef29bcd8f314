// /start and /help: the greeting with the topic menu, and the list of commands.
import type { Command, Router } from "../core/router.ts";
import type { Button, Reply, TurnContext } from "../core/types.ts";

/** Supplies the topic menu (the FAQ's topics once that feature is plugged in). */
export type TopicMenu = () => Button[][];

/** Something /start with a deep-link argument can act on (e.g. subscribing to a commune). */
export type StartArgumentHandler = (ctx: TurnContext, argument: string) => Promise<Reply[]>;

export interface BasicFeatureOptions {
  topicMenu?: TopicMenu;
  onStartArgument?: StartArgumentHandler;
}

export function registerBasicCommands(router: Router, options: BasicFeatureOptions = {}): void {
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
