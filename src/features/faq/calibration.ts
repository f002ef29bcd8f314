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
  answer: { weights: [2.501, -1.0515, 2.3216, -0.0337, 1.0471, 0.2312, -0.8845, 3.4171, 0.9634, -0.2808, 3.427, -0.5275, 0.0295], bias: -5.349 },
  scope: { weights: [0.8864, 1.9046, 0.2496, -0.3226, 1.0758, 2.2909, -2.1099, 3.4436, 1.5397, 0.0197, 1.1094, -1.0702, -1.7359], bias: -4.042 },
  answerThreshold: 0.78,
  suggestThreshold: 0.79,
};
