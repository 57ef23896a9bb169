import type { VersionRecord } from './types.js';

/**
 * The short JSON form of a version that lists show (`rfm models list --json`, GET /admin/models):
 * one definition, so the CLI and the server name each field the same way.
 */
export function versionSummary(v: VersionRecord) {
  return {
    version: v.version,
    status: v.status,
    aliases: v.aliases,
    created_at: v.createdAt,
    created_by: v.createdBy,
    k: v.k,
    inertia: v.metrics.inertia,
    silhouette: v.metrics.silhouette,
    customers: v.data.customers,
    source: v.data.source.file,
  };
}
