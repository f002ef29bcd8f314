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
  answer: { weights: [2.0796, -0.4082, 2.3812, -0.18, 1.0273, 0.7957, -0.7649, 2.9663, 0.4154, -0.1464, 3.9265, -0.8294, 0.2795], bias: -5.3741 },
  scope: { weights: [0.779, 2.0729, 0.3947, -0.3511, 1.1996, 2.0365, -1.9807, 3.1274, 1.7674, -0.4748, 1.4561, -1.0562, -1.7282], bias: -3.983 },
  answerThreshold: 0.78,
  suggestThreshold: 0.83,
};
