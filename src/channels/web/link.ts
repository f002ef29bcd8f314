// The link a unit's QR code holds for the web chat: <PUBLIC_URL>/chat?unit=<CODE>. Scanning it opens the
// chat in the phone's browser (no app needed); the page subscribes the visitor to the unit's announcements
// and greets them. PUBLIC_URL is the address citizens reach (or pass --base-url).
import type { QrLink } from "../../core/ports.ts";
import { START_ARGUMENT_PREFIX } from "../../features/subscription.ts";

export function webChatLink(baseUrl: string, unitCode: string): string {
  const url = new URL("chat", baseUrl.replace(/\/+$/, "") + "/");
  url.searchParams.set("unit", unitCode);
  return url.toString();
}

/** The unit code of a start argument ("u_19123" → "19123"). */
function unitOf(startArgument: string): string {
  return startArgument.startsWith(START_ARGUMENT_PREFIX) ? startArgument.slice(START_ARGUMENT_PREFIX.length) : startArgument;
}

/** QR link of the web chat; --base-url overrides PUBLIC_URL. */
export const qrLink: QrLink = async (config, options) => {
  const base = options.baseUrl || config.PUBLIC_URL;
  if (!base || !URL.canParse(base)) throw new Error("set PUBLIC_URL (the https address citizens open) or pass --base-url https://…");
  return { link: webChatLink(base, unitOf(options.startArgument)), carriesStart: true };
};
