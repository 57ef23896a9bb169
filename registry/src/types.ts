import type { ArtifactV1, DataSummary, KMeansParams, Metrics } from '@rfm/shared';
import type { TrainingFeatures } from './features-blob.js';

export type VersionStatus = 'candidate' | 'archived';

export interface RegisterInput {
  modelName: string;
  artifact: ArtifactV1;
  actor: string;
  description?: string;
  /** move `production` to the new version even when one is already set */
  promote?: boolean;
  reason?: string;
  tags?: Record<string, string>;
  /** the training customers, stored so versions can later be compared on the same people */
  features?: TrainingFeatures;
  /** self-contained HTML training report (charts as inline SVG) */
  report?: string;
  /** set by importVersion: where this version came from */
  importedFrom?: Record<string, unknown>;
  /** register as a candidate even when the model has no production yet (imports: never straight to production) */
  neverPromote?: boolean;
}

export interface LoadedModel {
  modelName: string;
  version: number;
  sha256: string;
  /** artifact with relabels applied */
  artifact: ArtifactV1;
  /** changes when the artifact or its labels change */
  revision: string;
}

export interface RegisterResult {
  modelName: string;
  version: number;
  sha256: string;
  aliases: string[];
}

export interface VersionRecord {
  modelName: string;
  version: number;
  status: VersionStatus;
  createdAt: string;
  createdBy: string;
  description: string;
  k: number;
  aliases: string[];
  params: KMeansParams;
  metrics: Metrics;
  data: DataSummary;
  training: ArtifactV1['training'];
  artifact: { sha256: string; size: number; format: string };
}

export interface EventRecord {
  id: number;
  modelName: string;
  at: string;
  actor: string;
  action: string;
  alias: string | null;
  fromVersion: number | null;
  toVersion: number | null;
  reason: string;
  refEventId: number | null;
}

export interface AliasMove {
  modelName: string;
  alias: string;
  from: number | null;
  to: number;
  eventId: number;
}

export interface ActorReason {
  actor: string;
  reason?: string;
}
