// The features of the bot, in the order their interceptors run. app.ts builds the core and runs the app
// from this list (see core/feature.ts for what a feature may contribute); a new feature is one entry here.
import type { Feature } from "../core/feature.ts";
import { consoleFeature } from "../console/command.ts";
import { accessFeature } from "./access/index.ts";
import { addressFeature } from "./address.ts";
import { basicFeature } from "./basic.ts";
import { broadcastFeature } from "./broadcast/index.ts";
import { faqFeature } from "./faq/index.ts";
import type { MatcherOptions } from "./faq/matcher.ts";
import { handoffFeature } from "./handoff.ts";
import { indicatorsFeature } from "./indicators/index.ts";
import { maintenanceFeature } from "./maintenance.ts";
import { remindersFeature } from "./reminders/index.ts";
import { taskRemindersFor } from "./reminders/runtime.ts";
import { subscriptionFeature } from "./subscription.ts";
import { tasksFeature } from "./tasks/index.ts";

export interface FeatureOptions {
  /** Matcher thresholds other than the calibrated ones (tests of the answer policy). */
  faqOptions?: MatcherOptions | undefined;
}

export function appFeatures(options: FeatureOptions = {}): Feature[] {
  return [
    // "DK <CODE>" is read before anything else, as the first message of a citizen who scanned a Zalo QR.
    subscriptionFeature,
    basicFeature,
    faqFeature(options.faqOptions),
    accessFeature,
    indicatorsFeature,
    handoffFeature,
    // Task changes reach the reminders through their port (tasks do not import reminders).
    tasksFeature({ reminders: taskRemindersFor }),
    remindersFeature,
    broadcastFeature,
    maintenanceFeature,
    // /web: a sign-in link to the staff console (its pages: console/routes.ts, mounted by app.ts).
    consoleFeature,
    // After every dialogue waiting for input (handoff, broadcast drafts): "xã X giờ là xã nào".
    addressFeature,
  ];
}
