// Written by `npm run faq -- calibrate --write` (src/features/faq/calibrate.ts); do not edit by hand.
// Fitted on the intents' examples (cross-validated) and tests/fixtures/faq-calibration.yaml; never on the dev set.
export interface ConfidenceModel {
  /** One weight per input, in this order: coverage, cosine, margin, unknown, log1p(length), bigramRate, maxMissing, keywordCover, exampleCover, maxMatched, coverageMargin, cosineMargin, keywordMargin. */
  weights: number[];
  bias: number;
}

export interface Calibration {
  /** P(the best intent is the right one): the confidence, compared with answerThreshold. */
  answer: ConfidenceModel;
  /** P(the message is about something the knowledge base covers), compared with suggestThreshold. */
  scope: ConfidenceModel;
  answerThreshold: number;
  suggestThreshold: number;
}

export const CALIBRATION: Calibration = {
  answer: { weights: [2.6216, -1.0834, 2.3691, 0.0279, 1.0165, 0.1429, -0.8107, 3.4579, 0.9491, -0.3048, 3.4856, -0.4689, -0.0339], bias: -5.3472 },
  scope: { weights: [1.0271, 1.8873, 0.3177, -0.291, 1.0433, 2.1755, -2.014, 3.511, 1.5007, 0.0017, 1.2092, -1.0267, -1.8471], bias: -4.0685 },
  answerThreshold: 0.76,
  suggestThreshold: 0.8,
};
