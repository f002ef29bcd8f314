// Typed slots of the dialogue state. The pipeline loads a person's state once per turn and saves it once
// (pipeline.ts); each feature keeps its part under one key, declared here with a zod schema, and reads it
// through the slot: a value the schema does not accept (written by an older version, or damaged) reads as
// absent instead of reaching the feature as whatever it happens to be.
import { z } from "zod";
import type { DialogueState } from "./types.ts";

export interface SessionSlot<T> {
  readonly key: string;
  /** The slot's value, or undefined when it is absent or does not fit the schema. */
  get(state: DialogueState): T | undefined;
  /** Sets (or, with undefined, removes) the slot in `state`; the caller saves the state. */
  set(state: DialogueState, value: T | undefined): void;
}

const declared = new Set<string>();

/** Declares the slot `key`; each key is declared once, so two features cannot share one by accident. */
export function sessionSlot<S extends z.ZodType>(key: string, schema: S): SessionSlot<z.output<S>> {
  if (declared.has(key)) throw new Error(`session slot "${key}" declared twice`);
  declared.add(key);
  return {
    key,
    get(state) {
      if (!Object.hasOwn(state, key)) return undefined;
      const parsed = schema.safeParse(state[key]);
      return parsed.success ? parsed.data : undefined;
    },
    set(state, value) {
      if (value === undefined) delete state[key];
      else state[key] = value;
    },
  };
}

/** The stored state of a person: an object, whatever the database column holds (anything else reads as empty). */
export function parseDialogueState(stored: unknown): DialogueState {
  const parsed = z.record(z.string(), z.unknown()).safeParse(stored);
  return parsed.success ? parsed.data : {};
}
