import type { z } from 'zod';
import { RfmError, type Issue } from './errors.js';
import { BatchRequestSchema, CustomerFeaturesSchema, predictRequestBranch, type CustomerFeatures } from './schemas.js';
import { fastCustomer, fastPredictRequest } from './fast-parse.js';

/** Turns zod issues into our Issue list: path joined with dots, what was expected and found. */
export function zodIssues(error: z.ZodError, prefix = ''): Issue[] {
  return error.issues.map((i) => {
    const path = [prefix, ...i.path.map(String)].filter((s) => s !== '').join('.');
    const issue: Issue = { path: path || '(root)', message: i.message };
    const anyI = i as unknown as { expected?: unknown; received?: unknown; input?: unknown };
    if (typeof anyI.expected === 'string') issue.expected = anyI.expected;
    if (anyI.input !== undefined && typeof anyI.input !== 'object')
      issue.found = JSON.stringify(anyI.input)?.slice(0, 80);
    return issue;
  });
}

/** Parse or throw INVALID_INPUT naming each bad field. `what` says which input this was. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string, prefix = ''): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = zodIssues(r.error, prefix);
  const first = issues[0];
  throw new RfmError(
    'INVALID_INPUT',
    `invalid ${what}: ${first ? `${first.path}: ${first.message}` : 'malformed'}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`,
    { issues },
  );
}

/**
 * Parse a predict body: always returns the list of customers and whether it was a batch. Plain
 * well-formed bodies take a hand-checked fast path (same result, ~10× cheaper); anything else,
 * including every error, goes through the zod schema and its messages.
 */
export function parsePredictRequest(body: unknown): { instances: CustomerFeatures[]; batch: boolean } {
  const fast = fastPredictRequest(body);
  if (fast) return fast;
  const schema = predictRequestBranch(body);
  if (schema === BatchRequestSchema)
    return { instances: parseOrThrow(BatchRequestSchema, body, 'request').instances, batch: true };
  return { instances: [parseOrThrow(CustomerFeaturesSchema, body, 'request')], batch: false };
}

/**
 * One customer from text fields (a CSV row): the fast check first, the schema when it cannot decide.
 * Either the customer, or the first problem (its field and message) to report for the row.
 */
export function customerFromFields(
  o: Record<string, unknown>,
): { customer: CustomerFeatures; issue?: undefined } | { customer?: undefined; issue: Issue } {
  const fast = fastCustomer(o, true);
  if (fast) return { customer: fast };
  const r = CustomerFeaturesSchema.safeParse(o);
  return r.success ? { customer: r.data } : { issue: zodIssues(r.error)[0]! };
}
