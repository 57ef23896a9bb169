import { scoreRfm, type ArtifactSegment, type ArtifactV1, type FeatureName } from '@rfm/shared';

/**
 * How one customer compares with the typical customer of the segment they fell in. "Typical" is the
 * segment's centroid mapped back to original units (the model's prototype, not pulled by a few
 * huge spenders the way the plain average is). The same plain rules run in the browser script
 * (serving/assets/rfm.js, `comparePhrase`), so the page reads the same with JavaScript on or off.
 */
export interface FeatureComparison {
  feature: FeatureName;
  label: string;
  customer: number;
  typical: number;
  average: number;
  phrase: string;
}

export interface Explanation {
  rows: FeatureComparison[];
  /** the customer's own 1–5 scores against the training population's quintiles */
  customerScores: { r: number; f: number; m: number };
  segmentScores: { r: number; f: number; m: number };
}

export const FEATURE_LABELS: Record<FeatureName, string> = {
  recency: 'Recency (days)',
  frequency: 'Frequency (purchases)',
  monetary: 'Monetary (spent)',
};

export function fmtNumber(n: number): string {
  const abs = Math.abs(n);
  return n.toLocaleString('en-US', { maximumFractionDigits: abs >= 100 ? 0 : abs >= 10 ? 1 : 2 });
}

/** Plain words for one feature; kept identical to comparePhrase in rfm.js. */
export function comparePhrase(feature: FeatureName, customer: number, typical: number): string {
  if (feature === 'recency') {
    const d = customer - typical;
    if (Math.abs(d) < Math.max(1, 0.1 * typical)) return 'about as recent as typical';
    const days = Math.round(Math.abs(d));
    return `${days} day${days === 1 ? '' : 's'} ${d < 0 ? 'more recent' : 'longer ago'} than typical`;
  }
  if (typical <= 0) return customer > 0 ? 'above typical' : 'about typical';
  const ratio = customer / typical;
  if (ratio >= 0.9 && ratio <= 1.1) return 'about typical';
  if (ratio > 1) return `${fmtNumber(ratio)}× typical`;
  return `${Math.round(ratio * 100)}% of typical`;
}

export function explain(
  artifact: ArtifactV1,
  segment: ArtifactSegment,
  c: { recency: number; frequency: number; monetary: number },
): Explanation {
  const features: FeatureName[] = ['recency', 'frequency', 'monetary'];
  return {
    rows: features.map((f) => ({
      feature: f,
      label: FEATURE_LABELS[f],
      customer: c[f],
      typical: segment.centroid[f],
      average: segment.mean[f],
      phrase: comparePhrase(f, c[f], segment.centroid[f]),
    })),
    customerScores: scoreRfm(c, artifact.quintiles),
    segmentScores: segment.scores,
  };
}
