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
  answer: { weights: [0.9553, -0.0097, 2.0479, 0.3061, 0.4174, 0.6077, -1.3659, 2.9938, -0.2644, 0.5759, 1.9022, -0.6072, 0.0216, 1.688, 0.6927], bias: -3.7214 },
  scope: { weights: [-0.0112, 1.9569, 0.2186, -0.3589, 0.5747, 1.5927, -2.0776, 3.1747, 0.933, -0.2377, 1.0189, -0.9922, -1.7767, 3.1897, -0.3336], bias: -2.4876 },
  answerThreshold: 0.75,
  suggestThreshold: 0.77,
};
