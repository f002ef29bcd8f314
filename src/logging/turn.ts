// One citizen's turn in the log: a turn id, the channel and a user key that is not the platform id
// (a Zalo or CLI id may be a phone number). Every line of the turn — pipeline, features, the outbox
// messages it queues and their sends — carries the same `turn`, so `grep turn=…` follows it.
import { AsyncLocalStorage } from "node:async_hooks";
import { createHash, randomBytes } from "node:crypto";

export interface TurnLogFields {
  turn: string;
  channel: string;
  /** `sha256(channel:userId)`, first 12 hex digits: stable per user, says nothing about the id. */
  user: string;
}

/** Short, unique enough to grep for: 12 hex digits (48 random bits). */
export function newTurnId(): string {
  return randomBytes(6).toString("hex");
}

export function userKey(channel: string, userId: string): string {
  return createHash("sha256").update(`${channel}:${userId}`).digest("hex").slice(0, 12);
}

export function turnLogFields(channel: string, userId: string, turn = newTurnId()): TurnLogFields {
  return { turn, channel, user: userKey(channel, userId) };
}

// The turn in progress, for code that runs inside a turn without its context (the outbox's enqueue,
// called by features several calls down).
const current = new AsyncLocalStorage<TurnLogFields>();

export function inTurn<T>(fields: TurnLogFields, run: () => T): T {
  return current.run(fields, run);
}

export function currentTurn(): TurnLogFields | undefined {
  return current.getStore();
}
