// The bot's own phrases (greeting, help, refusals…) live in content/messages.yaml, not in code.
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { z } from "zod";

// Every phrase the code relies on; a missing one stops start-up with the key named.
const requiredKeys = [
  "welcome", "help", "fallback", "error", "rateLimited", "unknownCommand", "emptyMessage", "refused",
  "inviteUsage", "inviteRoleTooHigh", "inviteCreated", "unitNotFound", "redeemUsage", "redeemOk", "redeemInvalid",
  "redeemExpired", "redeemUsed", "tooManyAttempts", "linkCreated", "linkOk", "linkInvalid", "myRoles", "noRoles",
  "eraseConfirm", "eraseDone", "eraseCancelled", "auditEmpty", "consoleLink", "consolePrivateOnly",
  "handoffAskUnit", "handoffUnitChoices", "handoffUnitUnknown", "handoffAskQuestion", "handoffPiiConfirm", "handoffSent",
  "handoffNoOfficer", "handoffUnavailable", "handoffCancelled", "handoffForward", "handoffEscalated", "handoffAnswer",
  "handoffAnswerSent", "handoffClosed", "handoffClosedCitizen", "handoffNotFound", "handoffAnswerUsage",
  "handoffGroupBound", "handoffGroupUsage",
  "didYouMean", "topicIntro", "smalltalkGreet", "smalltalkThanks", "smalltalkBye", "smalltalkAck", "smalltalkHelp", "followUpAbout", "askedDetails", "severalQuestions", "severalQuestionsGuide", "tentativeAnswer", "tentativeOther",
  "tiendoUsage", "tiendoTitle", "tiendoNoData", "tiendoNotFound", "tiendoChooseUnit", "tiendoChooseIndicator", "tiendoStaleNote", "tiendoReported", "tiendoChange", "tiendoRank", "tiendoWeakest", "tiendoMissingUnits", "tiendoDvcTitle", "tiendoDvcNone", "tiendoChildrenTitle", "tiendoNoChildren", "tiendoChartCaption", "tiendoChartTruncated", "tiendoButtonDvc", "tiendoButtonChart", "tiendoButtonChildren",
  "tiendoReportedMark", "tiendoChartMissing", "tiendoNoFilings", "tiendoEndedMark", "tiendoEnded", "tiendoHistoryTitle",
  "tiendoHistoryWhole", "tiendoHistoryPart", "tiendoHistoryTotal", "tiendoHistoryMore", "tiendoHistoryNone", "tiendoHistoryNoPredecessor",
  "tiendoButtonHistory",
  "reminderTask", "reminderTaskReview", "reminderTaskAssigned", "reminderOverdue", "reminderReportUnit",
  "reminderReportSupervisor", "reminderBriefing", "reminderPersonal", "taskList", "taskListEmpty", "taskDoneUsage",
  "taskNotFound", "taskAlreadyDone", "taskDoneAll", "taskDonePart", "taskCreateUsage", "taskBadDeadline",
  "taskUnitAmbiguous", "taskCreated", "taskDeadlineUsage", "taskDeadlineChanged", "remindList", "remindListEmpty",
  "remindNotFound", "remindCancelled", "remindWhat", "remindTooMany", "remindCreated", "remindCreatedRecurring",
  "remindDefaultTime", "remindQuietNote", "remindNotScheduled",
  "broadcastUsage", "broadcastAskText", "broadcastTextTooLong", "broadcastHeader", "broadcastCitizenFooter", "broadcastPreview",
  "broadcastChannelOff", "broadcastNoRecipients", "broadcastAskUnit", "broadcastUnitChoose", "broadcastUnitNotFound",
  "broadcastAskPhoto", "broadcastPhotoInvalid", "broadcastAskTime", "broadcastTimeInvalid", "broadcastTimePast",
  "broadcastTimeTooFar", "broadcastScheduleNoted", "broadcastStalePreview", "broadcastStarted", "broadcastScheduled",
  "broadcastDraftCancelled", "broadcastNoDraft", "broadcastUnavailable", "broadcastConfirmStop", "broadcastCancelled",
  "broadcastCannotCancel", "broadcastNotFound", "broadcastStatus", "broadcastTimingScheduled", "broadcastTimingRunning",
  "broadcastTimingFinished", "broadcastSummary", "broadcastList", "broadcastListEmpty",
  "addressNow", "addressCurrent", "addressChoose", "addressNotFound", "districtGone", "districtGoneNoCommunes", "unitSplitChoose",
] as const;

const messagesSchema = z
  .object(Object.fromEntries(requiredKeys.map((key) => [key, z.string().min(1)])) as Record<(typeof requiredKeys)[number], z.ZodString>)
  .catchall(z.string());

export type Messages = z.infer<typeof messagesSchema>;

export const contentDir = path.resolve(import.meta.dirname, "../../content");

export const messagesFile = path.join(contentDir, "messages.yaml");

export function loadMessages(file = messagesFile): Messages {
  const result = messagesSchema.safeParse(parse(readFileSync(file, "utf8")));
  if (!result.success) {
    const first = result.error.issues[0];
    throw new Error(`${file}: ${first?.path.join(".") ?? "?"}: ${first?.message ?? "invalid"}`);
  }
  return result.data;
}

/** Fills {name} placeholders. */
export function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (key in values ? String(values[key]) : whole));
}
