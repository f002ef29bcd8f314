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
  answer: { weights: [2.0945, -0.3577, 2.2973, -0.5608, 0.9726, 0.4065, -0.6481, 3.0212, 0.7697, -0.172, 3.2595, -0.1962, 0.1698], bias: -5.1583 },
  scope: { weights: [0.5211, 2.2629, 0.3293, -0.4839, 0.8327, 2.2762, -1.9716, 3.4496, 1.7446, -0.1985, 1.248, -0.661, -1.8884], bias: -3.4099 },
  answerThreshold: 0.76,
  suggestThreshold: 0.78,
};
