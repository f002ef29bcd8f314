// Written by `npm run faq -- calibrate --write` (src/features/faq/calibrate.ts); do not edit by hand.
// Fitted on the intents' examples (cross-validated) and tests/fixtures/faq-calibration.yaml; never on the dev set.
export interface ConfidenceModel {
  /** One weight per input, in this order: coverage, cosine, margin, unknown, log1p(length), bigramRate, maxMissing, keywordCover, exampleCover, maxMatched, coverageMargin, cosineMargin, keywordMargin, learned, learnedMargin. */
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
  answer: { weights: [0.8537, 0.0433, 2.1837, 0.1163, 0.4478, 0.6028, -1.3585, 2.8517, -0.2713, 0.2785, 1.6933, -0.4834, 0.0658, 1.2957, 1.3749], bias: -3.4178 },
  scope: { weights: [-0.0941, 2.2198, 0.2771, -0.2939, 0.657, 1.6401, -2.1174, 2.9707, 0.7933, -0.3977, 0.7616, -0.7258, -1.8389, 3.3261, -0.0987], bias: -2.463 },
  answerThreshold: 0.72,
  suggestThreshold: 0.77,
};
