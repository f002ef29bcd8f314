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
  answer: { weights: [2.1692, -0.5238, 2.2239, -0.5077, 1.0587, 0.1992, -0.8073, 2.8421, 0.5856, -0.2171, 3.5157, -0.7563, 0.3007], bias: -4.8739 },
  scope: { weights: [0.8765, 1.8835, 0.387, -0.4473, 0.9901, 2.2933, -2.0589, 3.1798, 1.6673, 0.0703, 1.4569, -1.0527, -1.5575], bias: -3.8133 },
  answerThreshold: 0.77,
  suggestThreshold: 0.78,
};
