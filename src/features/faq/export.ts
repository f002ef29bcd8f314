// The knowledge base as plain data for other tools (`npm run --silent faq -- export`).
import type { KnowledgeBase } from "./knowledge.ts";

export interface ExportedIntent {
  id: string;
  title: string;
  /** The intent's example questions, as written. */
  questions: string[];
  /** The short answer (text before the first step of the guide). */
  answer: string;
}

export function exportFaq(kb: KnowledgeBase): ExportedIntent[] {
  return kb.intents.map((intent) => ({
    id: intent.id,
    title: intent.title,
    questions: [...intent.examples],
    answer: intent.answer,
  }));
}
