import { z } from 'zod';
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import {
  BatchRequestSchema,
  CustomerFeaturesSchema,
  ERROR_CODES,
  LIMITS,
  MAX_BATCH,
  MAX_TRANSACTIONS,
  PredictResponseSchema,
  TransactionsRequestSchema,
  TransactionsResponseSchema,
} from '@rfm/shared';
import {
  AliasBody,
  AliasParam,
  NameParam,
  PromoteBody,
  ReasonBody,
  RelabelBody,
  RollbackBody,
  VersionParam,
} from '../routes/admin.js';
import { SelectorSchema } from '../routes/selector.js';
import { CustomersQuery, DiffQuery, RunIdParam, StartRunQuery } from '../routes/runs.js';
import { CustomerIdParam, ForgetBody, LookupQuery } from '../routes/customers.js';
import { CSV_BODY_LIMIT } from '../routes/predict-csv.js';
import { JSON_BODY_LIMIT } from '../routes/predict.js';
import { TRANSACTIONS_BODY_LIMIT } from '../routes/predict-transactions.js';

/**
 * The OpenAPI 3.1 document, generated from the zod schemas the routes themselves parse with
 * (shared's request/response schemas, admin's body schemas, the selector), plus a few
 * response-only schemas below. Every operation lists examples; `document.test.ts` checks each
 * example against the same zod schema, so the docs cannot drift from what the server accepts.
 */

// ---- response-only schemas (what the server writes; routes build these objects) ----------------

const IssueSchema = z.object({
  path: z.string(),
  message: z.string(),
  expected: z.string().optional(),
  found: z.string().optional(),
});
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_CODES) as [keyof typeof ERROR_CODES, ...(keyof typeof ERROR_CODES)[]]),
      message: z.string(),
      issues: z.array(IssueSchema).optional(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .meta({
    id: 'Error',
    description:
      'Every error: a code (mapped to the HTTP status in one table), a message, and per-field issues. Never a stack trace.',
  });

const LoadErrorSchema = z.object({ version: z.number().int(), message: z.string(), at: z.string() }).nullable();
export const HealthSchema = z.object({ ok: z.literal(true) }).meta({ id: 'Health' });
export const ReadySchema = z
  .union([
    z.object({
      ready: z.literal(true),
      model_name: z.string(),
      model_version: z.number().int(),
      last_load_error: LoadErrorSchema,
    }),
    z.object({ ready: z.literal(false), reason: z.string(), last_load_error: LoadErrorSchema }),
  ])
  .meta({
    id: 'Ready',
    description:
      'ready:true once a model is loaded; last_load_error names a version that was refused (the old model keeps serving).',
  });

const SegmentInfo = z.looseObject({
  cluster: z.number().int(),
  key: z.string(),
  name: z.string(),
  description: z.string(),
  action: z.string(),
  size: z.number().int(),
});
export const ModelInfoSchema = z
  .looseObject({
    model_name: z.string(),
    model_version: z.number().int(),
    active: z.boolean(),
    follows_alias: z.string(),
    sha256: z.string(),
    k: z.number().int(),
    loaded_at: z.string(),
    segments: z.array(SegmentInfo),
    last_load_error: LoadErrorSchema,
  })
  .meta({
    id: 'ModelInfo',
    description:
      'The model answering requests (or a pinned one): segments with description and action, metrics, parameters, data summary.',
  });

export const AliasMoveSchema = z
  .looseObject({
    modelName: z.string(),
    alias: z.string(),
    from: z.number().int().nullable(),
    to: z.number().int(),
    eventId: z.number().int(),
  })
  .meta({
    id: 'AliasMove',
    description: 'An alias moved; promote also reports the policy rules checked and whether it was forced.',
  });
export const ModelsListSchema = z
  .object({
    models: z.array(
      z.looseObject({
        name: z.string(),
        aliases: z.record(z.string(), z.number().int()),
        versions: z.array(
          z.looseObject({ version: z.number().int(), status: z.string(), aliases: z.array(z.string()) }),
        ),
      }),
    ),
  })
  .meta({ id: 'ModelsList' });
export const HistorySchema = z
  .object({
    model: z.string(),
    events: z.array(
      z.looseObject({
        id: z.number().int(),
        at: z.string(),
        actor: z.string(),
        action: z.string(),
        alias: z.string().nullable(),
        fromVersion: z.number().int().nullable(),
        toVersion: z.number().int().nullable(),
        reason: z.string(),
      }),
    ),
  })
  .meta({ id: 'History' });
const AnyObject = z.looseObject({});

const RunState = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);
export const RunSchema = z
  .looseObject({
    id: z.string(),
    model: z.string(),
    version: z.number().int().nullable(),
    state: RunState,
    phase: z.string().nullable(),
    rows_read: z.number().int(),
    percent: z.number(),
    save: z.boolean(),
    saved: z.boolean(),
    created_by: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
    cancel_requested: z.boolean(),
    error: z.object({ code: z.string().nullable(), message: z.string().nullable() }).nullable(),
    facts: z.looseObject({}).optional(),
    summary: z.array(z.looseObject({ segment: z.string(), customers: z.number() })).optional(),
    /** saved runs: null when drift was not measured (runs saved before it was recorded) */
    retrain_advised: z.boolean().nullable().optional(),
    drift: z
      .looseObject({
        psi: z.object({ recency: z.number(), frequency: z.number(), monetary: z.number() }),
        outlierRate: z.number().nullable(),
        retrainAdvised: z.boolean(),
        reasons: z.array(z.string()),
      })
      .nullable()
      .optional(),
  })
  .meta({
    id: 'Run',
    description:
      'A scoring run: state (queued, running, succeeded, failed, cancelled), phase, rows read so far and percent; once it has succeeded, ' +
      'its facts (export, snapshot date, rows dropped by reason) and the per-segment summary (customers, revenue and their shares, medians); ' +
      'once saved, its drift against the training customers (PSI per feature, outlier rate, segment shares) ' +
      'and whether retraining is advised, with the reasons.',
  });
export const RunsListSchema = z
  .object({
    runs: z.array(RunSchema.omit({ facts: true, summary: true, drift: true, retrain_advised: true })),
  })
  .meta({
    id: 'RunsList',
    description: 'Runs of this registry, newest first: server jobs and runs saved by `rfm score --save`.',
  });
export const RunStartedSchema = z
  .object({
    id: z.string(),
    state: RunState,
    model: z.string(),
    version: z.number().int(),
    save: z.boolean(),
    location: z.string(),
  })
  .meta({ id: 'RunStarted' });
const RunCancelSchema = z
  .object({ id: z.string(), state: RunState, cancel_requested: z.boolean() })
  .meta({ id: 'RunCancel' });
const RunDeletedSchema = z.object({ id: z.string(), deleted: z.literal(true) }).meta({ id: 'RunDeleted' });

const CustomerLookupSchema = z
  .object({
    customer: z.string(),
    model: z.string(),
    segment: z.string(),
    segment_key: z.string(),
    cluster: z.number().int(),
    previous_segment: z.string().nullable(),
    segment_since: z.string().nullable(),
    recency: z.number(),
    frequency: z.number(),
    monetary: z.number(),
    r_score: z.number().int(),
    f_score: z.number().int(),
    m_score: z.number().int(),
    outlier: z.boolean().nullable(),
    run: z.object({
      id: z.string(),
      version: z.number().int(),
      snapshot_date: z.string(),
      created_at: z.string(),
      export_name: z.string(),
    }),
  })
  .meta({ id: 'CustomerLookup' });
const ForgetResultSchema = z
  .object({
    erased: z.boolean(),
    erased_before: z.array(z.string()),
    subject: z.string(),
    runs: z.array(z.string()),
    versions: z.array(z.object({ model: z.string(), version: z.number().int() })),
    storage: z.object({ complete: z.boolean(), detail: z.string() }).nullable(),
  })
  .meta({ id: 'ForgetResult' });

// ---- the operations ---------------------------------------------------------------------------

export interface ExampleSet {
  [name: string]: { summary?: string; value: unknown };
}
export interface BodyDoc {
  contentType: string;
  /** zod schema the examples must satisfy; absent for non-JSON bodies (CSV, metrics text) */
  schema?: z.ZodType;
  /** OpenAPI schema for non-JSON content */
  raw?: Record<string, unknown>;
  examples: ExampleSet;
}
export interface OperationDoc {
  method: 'get' | 'post' | 'put' | 'delete';
  /** OpenAPI path, `{param}` style */
  path: string;
  tag: 'Predict' | 'Models' | 'Admin' | 'Runs' | 'Operations';
  summary: string;
  description: string;
  admin?: boolean;
  query?: z.ZodObject;
  params?: z.ZodObject;
  /** example values of the path and query parameters, checked against `params` / `query` */
  paramExamples?: Record<string, string>[];
  request?: BodyDoc;
  responses: Record<number, { description: string; body?: BodyDoc }>;
}

const customer = { cid: '12346', recency: 325, frequency: 1, monetary: 77183.6 };
const err = (code: keyof typeof ERROR_CODES, message: string, issues?: { path: string; message: string }[]) => ({
  error: { code, message, ...(issues ? { issues } : {}) },
});
const errorBody = (examples: ExampleSet): BodyDoc => ({
  contentType: 'application/json',
  schema: ErrorSchema,
  examples,
});
const json = (schema: z.ZodType, examples: ExampleSet): BodyDoc => ({
  contentType: 'application/json',
  schema,
  examples,
});
const loadError = null;

const PINNING =
  'Answers with the model the `production` alias points at; `?version=N` or `?alias=name` pins the request to another version (to compare before ' +
  'promoting). The `x-model-version` header and `model_version` name the version that answered.';

const unavailable = {
  description: 'No model is active (or the pinned version cannot be loaded)',
  body: errorBody({
    none: {
      value: err(
        'MODEL_UNAVAILABLE',
        'no model is active: registry is empty: no model "customer-segments" trained yet',
      ),
    },
  }),
};
const notFound = {
  description: 'The pinned version or alias does not exist',
  body: errorBody({ version: { value: err('NOT_FOUND', 'version 99 of "customer-segments" not found') } }),
};

const badParams = {
  description: 'A path or query parameter is not valid: the issue names it',
  body: errorBody({
    param: {
      value: err('INVALID_INPUT', 'invalid version: version must be a whole number of 1 or more', [
        { path: 'version', message: 'version must be a whole number of 1 or more' },
      ]),
    },
  }),
};
const noSuchModel = {
  description: 'No such model or version',
  body: errorBody({ model: { value: err('NOT_FOUND', 'model "nope" not found') } }),
};
const jsonOnly = {
  description: 'A body that is not JSON',
  body: errorBody({ type: { value: err('UNSUPPORTED', 'content-type must be application/json, got text/plain') } }),
};

/** What every admin write can answer besides its own outcomes. */
const adminErrors = {
  400: {
    description: 'Invalid body or parameter: each issue names the field',
    body: errorBody({
      field: {
        value: err('INVALID_INPUT', 'invalid request body: reason: reason must be at most 500 characters', [
          { path: 'reason', message: 'reason must be at most 500 characters' },
        ]),
      },
    }),
  },
  401: {
    description: 'No bearer token, or a token that is no one’s (users file, RFM_ADMIN_TOKEN, RFM_READ_TOKEN)',
    body: errorBody({
      none: { value: err('UNAUTHORIZED', 'admin route: send "Authorization: Bearer <token>"') },
      wrong: { value: err('UNAUTHORIZED', 'admin route: the bearer token is not valid') },
    }),
  },
  403: {
    description:
      'The token is a person without the admin role (a viewer): nothing changes; or nobody can sign in to this server',
    body: errorBody({
      viewer: { value: err('FORBIDDEN', 'this needs the admin role; ana is a viewer: nothing was changed') },
    }),
  },
  404: noSuchModel,
  429: {
    description: 'Too many failed tokens from this address in the window: wait for Retry-After',
    body: errorBody({
      limited: {
        value: err(
          'RATE_LIMITED',
          'too many failed admin sign-ins or tokens from this address; try again in 15 minute(s)',
        ),
      },
    }),
  },
  413: {
    description: 'Body larger than 64 kB',
    body: errorBody({ big: { value: err('PAYLOAD_TOO_LARGE', 'request body is larger than 64 kB') } }),
  },
  415: jsonOnly,
};

/** What every scoring-runs route can answer about its token (runs carry customer-level data). */
const runAuthErrors = {
  401: {
    description: 'No bearer token, or a token that is no one’s',
    body: errorBody({
      none: { value: err('UNAUTHORIZED', 'scoring runs: send "Authorization: Bearer <token>"') },
      wrong: { value: err('UNAUTHORIZED', 'scoring runs: the bearer token is not valid') },
    }),
  },
  403: {
    description:
      'A viewer cancelling or deleting a run (the admin role is needed), or nobody can sign in to this server ' +
      '(no RFM_USERS, RFM_ADMIN_TOKEN or RFM_READ_TOKEN)',
    body: errorBody({
      viewer: { value: err('FORBIDDEN', 'this needs the admin role; ana is a viewer: nothing was changed') },
      disabled: {
        value: err(
          'FORBIDDEN',
          'scoring runs are disabled: start the server with RFM_USERS, RFM_ADMIN_TOKEN or RFM_READ_TOKEN set ' +
            '(tokens at least 32 characters) and send the token as "Authorization: Bearer <token>"',
        ),
      },
    }),
  },
  429: adminErrors[429],
};
const badRunId = {
  description: 'Not a run id',
  body: errorBody({
    id: {
      value: err('INVALID_INPUT', 'invalid id: id: run id: r-YYYYMMDD-hex', [
        { path: 'id', message: 'run id: r-YYYYMMDD-hex' },
      ]),
    },
  }),
};
const noSuchRun = {
  description: 'No run with this id (the message names it)',
  body: errorBody({ run: { value: err('NOT_FOUND', 'no run "r-20261130-00000000"') } }),
};
const notSaved = {
  description: 'The run has not succeeded, or was not saved: no customers to give',
  body: errorBody({
    running: {
      value: err(
        'CONFLICT',
        'run r-20261130-7f3a9c01 is running; customers are there once it has succeeded and been saved',
      ),
    },
  }),
};

export const OPERATIONS: OperationDoc[] = [
  {
    method: 'post',
    path: '/api/v1/predict',
    tag: 'Predict',
    summary: 'Segment of one customer, or of a batch',
    description:
      `One customer \`{cid, recency, frequency, monetary}\` (the capitalised names \`CID, Recency, Frequency, Monetary\` work too), or ` +
      `\`{instances: [...]}\` of up to ${MAX_BATCH} customers, answered in order. Limits: recency ${LIMITS.recency.min}–${LIMITS.recency.max} days, ` +
      `frequency ${LIMITS.frequency.min}–${LIMITS.frequency.max} (whole), monetary ${LIMITS.monetary.min}–${LIMITS.monetary.max}. Body at most ` +
      `${JSON_BODY_LIMIT}. ${PINNING}`,
    query: SelectorSchema,
    paramExamples: [{}, { version: '2' }, { alias: 'staging' }],
    request: json(z.union([BatchRequestSchema, CustomerFeaturesSchema]), {
      one: { summary: 'one customer', value: customer },
      capitalised: {
        summary: 'the capitalised field names',
        value: { CID: 12346, Recency: 325, Monetary: 77183.6, Frequency: 1 },
      },
      batch: {
        summary: 'a batch',
        value: { instances: [customer, { cid: 'A-17', recency: 3, frequency: 30, monetary: 12000 }] },
      },
    }),
    responses: {
      200: {
        description: 'The segment of each customer, and the version that answered',
        body: json(PredictResponseSchema, {
          one: {
            value: {
              model_name: 'customer-segments',
              model_version: 3,
              predictions: [{ cid: '12346', cluster: 1, segment: "Can't Lose Them", outlier: true }],
            },
          },
          batch: {
            value: {
              model_name: 'customer-segments',
              model_version: 3,
              predictions: [
                { cid: '12346', cluster: 1, segment: "Can't Lose Them", outlier: true },
                { cid: 'A-17', cluster: 0, segment: 'Champions', outlier: false },
              ],
            },
          },
        }),
      },
      400: {
        description: 'Invalid input: each issue names the field',
        body: errorBody({
          field: {
            value: err('INVALID_INPUT', 'invalid request: instances.1.frequency: frequency must be a whole number', [
              { path: 'instances.1.frequency', message: 'frequency must be a whole number' },
            ]),
          },
        }),
      },
      404: notFound,
      413: {
        description: `Body larger than ${JSON_BODY_LIMIT}`,
        body: errorBody({
          big: {
            value: err(
              'PAYLOAD_TOO_LARGE',
              `request body is larger than 2 MB; split it into requests of at most ${MAX_BATCH} customers`,
            ),
          },
        }),
      },
      415: {
        description: 'Not JSON, or not UTF-8',
        body: errorBody({
          type: { value: err('UNSUPPORTED', 'content-type must be application/json, got text/plain') },
        }),
      },
      503: unavailable,
    },
  },
  {
    method: 'post',
    path: '/api/v1/predict/csv',
    tag: 'Predict',
    summary: 'Score a CSV of customers (streamed)',
    description:
      `A CSV whose header names recency, frequency, monetary and optionally cid (any case; \`CID, Recency, Frequency, Monetary\` and ` +
      `\`CustomerID\` work). Other columns are echoed. The answer streams back the same rows with \`cluster\`, \`segment\` and \`error\` columns; a ` +
      `bad row gets an \`error\` naming the row and column instead of failing the file. A missing header column, an empty body or a wrong content ` +
      `type is a 4xx JSON error before any output. Body at most ${CSV_BODY_LIMIT / 1024 / 1024} MB (413). ${PINNING}`,
    query: SelectorSchema,
    paramExamples: [{}, { version: '2' }],
    request: {
      contentType: 'text/csv',
      raw: { type: 'string' },
      examples: { capitalised: { value: 'CID,Recency,Frequency,Monetary\n12346,325,1,77183.6\n12347,2,7,4310\n' } },
    },
    responses: {
      200: {
        description: 'The rows with cluster, segment, outlier and error appended',
        body: {
          contentType: 'text/csv',
          raw: { type: 'string' },
          examples: {
            scored: {
              value:
                "CID,Recency,Frequency,Monetary,cluster,segment,outlier,error\n12346,325,1,77183.6,1,Can't Lose " +
                'Them,true,\n12347,2,7,4310,0,Champions,false,\n12348,x,1,10,,,,"row 3, Recency: recency must be a number, got ""x"""\n',
            },
          },
        },
      },
      400: {
        description: 'Not a usable CSV (no header, a required column missing)',
        body: errorBody({
          header: {
            value: err(
              'INVALID_INPUT',
              'CSV header lacks column(s) monetary; found "cid", "recency", "frequency". The first line must name the columns: cid, recency, ' +
                'frequency, monetary (or CID, Recency, Frequency, Monetary)',
              [{ path: 'header.monetary', message: 'missing column' }],
            ),
          },
        }),
      },
      413: {
        description: `Body larger than ${CSV_BODY_LIMIT / 1024 / 1024} MB`,
        body: errorBody({
          big: { value: err('PAYLOAD_TOO_LARGE', 'CSV body is 61.2 MB, larger than the 50 MB limit; split the file') },
        }),
      },
      415: {
        description: 'Not text/csv, or not UTF-8',
        body: errorBody({ type: { value: err('UNSUPPORTED', 'content-type must be text/csv, got application/json') } }),
      },
      404: notFound,
      503: unavailable,
    },
  },
  {
    method: 'post',
    path: '/api/v1/predict/transactions',
    tag: 'Predict',
    summary: "One customer's raw transactions → RFM and segment",
    description:
      `The customer's lines as the export has them (up to ${MAX_TRANSACTIONS}; UCI names \`InvoiceNo, InvoiceDate, Quantity, UnitPrice, ` +
      `CustomerID\` or \`invoice, date, quantity, price\`, or \`amount\` instead of quantity × price). Cleaned and aggregated by the same rules as ` +
      `training: cancelled invoices (starting with C), quantity ≤ 0 and price ≤ 0 are dropped; recency counts whole days from the last invoice date ` +
      `to \`as_of\` (default: the day after the last invoice); frequency counts distinct invoices; monetary sums quantity × price. Body at most ` +
      `${TRANSACTIONS_BODY_LIMIT}. ${PINNING}`,
    query: SelectorSchema,
    paramExamples: [{}, { alias: 'production' }],
    request: json(TransactionsRequestSchema, {
      uci: {
        summary: 'UCI Online Retail columns',
        value: {
          as_of: '2011-12-10',
          transactions: [
            {
              InvoiceNo: '536365',
              StockCode: '85123A',
              Quantity: 6,
              InvoiceDate: '12/1/2010 8:26',
              UnitPrice: 2.55,
              CustomerID: 17850,
              Country: 'United Kingdom',
            },
            {
              InvoiceNo: 'C536379',
              StockCode: 'D',
              Quantity: -1,
              InvoiceDate: '12/1/2010 9:41',
              UnitPrice: 27.5,
              CustomerID: 17850,
              Country: 'United Kingdom',
            },
            {
              InvoiceNo: '537226',
              StockCode: '22811',
              Quantity: 6,
              InvoiceDate: '12/6/2010 8:34',
              UnitPrice: 2.95,
              CustomerID: 17850,
              Country: 'United Kingdom',
            },
          ],
        },
      },
      plain: {
        summary: 'plain names, ISO dates, amount column',
        value: {
          cid: 'A-17',
          transactions: [
            { invoice: 'INV-1', date: '2024-03-01 10:00', amount: 120.5 },
            { invoice: 'INV-2', date: '2024-03-09', amount: 35 },
          ],
        },
      },
    }),
    responses: {
      200: {
        description: "The customer's RFM (as training computes it) and segment",
        body: json(TransactionsResponseSchema, {
          uci: {
            value: {
              model_name: 'customer-segments',
              model_version: 3,
              cid: '17850',
              cluster: 2,
              segment: 'At Risk',
              outlier: false,
              recency: 369,
              frequency: 2,
              monetary: 33,
              snapshot_date: '2011-12-10',
              last_invoice_date: '2010-12-06',
              rows_read: 3,
              rows_kept: 2,
              rows_dropped: { cancelled: 1 },
            },
          },
        }),
      },
      400: {
        description: 'Invalid lines, no usable line, or as_of before the last invoice',
        body: errorBody({
          date: {
            value: err(
              'INVALID_INPUT',
              'invalid request: transactions.0.date: date must look like 2011-12-09, 2011-12-09 12:50 or 12/9/2011 12:50 (month first)',
              [
                {
                  path: 'transactions.0.date',
                  message: 'date must look like 2011-12-09, 2011-12-09 12:50 or 12/9/2011 12:50 (month first)',
                },
              ],
            ),
          },
          dropped: { value: err('INVALID_INPUT', 'no usable transactions: all 1 were dropped (cancelled 1)') },
        }),
      },
      413: {
        description: `Body larger than ${TRANSACTIONS_BODY_LIMIT}`,
        body: errorBody({
          big: {
            value: err(
              'PAYLOAD_TOO_LARGE',
              'request body is larger than 4 MB; split it into requests of at most 10000 customers',
            ),
          },
        }),
      },
      404: notFound,
      415: jsonOnly,
      503: unavailable,
    },
  },
  {
    method: 'get',
    path: '/api/v1/model',
    tag: 'Models',
    summary: 'The model answering requests',
    description: `Version, segments (name, description, suggested action, size), metrics, training parameters and data summary. ${PINNING}`,
    query: SelectorSchema,
    paramExamples: [{}, { version: '2' }],
    responses: {
      200: {
        description: 'The model',
        body: json(ModelInfoSchema, {
          active: {
            value: {
              model_name: 'customer-segments',
              model_version: 3,
              active: true,
              follows_alias: 'production',
              sha256: 'ab'.repeat(32),
              k: 4,
              loaded_at: '2026-11-25T10:00:00.000Z',
              segments: [
                {
                  cluster: 0,
                  key: 'champions',
                  name: 'Champions',
                  description: 'Bought recently, buy often and spend the most.',
                  action: 'Reward them.',
                  size: 812,
                },
              ],
              last_load_error: loadError,
            },
          },
        }),
      },
      400: badParams,
      404: notFound,
      503: unavailable,
    },
  },
  {
    method: 'get',
    path: '/api/v1/models',
    tag: 'Models',
    summary: 'Registered models, their versions and aliases',
    description: 'Every registered model with its versions (status, aliases, metrics summary).',
    responses: {
      200: {
        description: 'The registry',
        body: json(ModelsListSchema, {
          one: {
            value: {
              models: [
                {
                  name: 'customer-segments',
                  versions: [
                    { version: 1, status: 'candidate', aliases: [] },
                    { version: 2, status: 'candidate', aliases: ['production'] },
                  ],
                  aliases: { production: 2 },
                },
              ],
            },
          },
        }),
      },
    },
  },
  {
    method: 'get',
    path: '/api/v1/models/{name}/versions/{v}',
    tag: 'Models',
    summary: 'One version: record, tags, segments, policy check',
    description: 'Everything the registry knows about one version, and whether it would pass the promotion policy now.',
    params: z.object({ name: NameParam, v: VersionParam }),
    paramExamples: [{ name: 'customer-segments', v: '2' }],
    responses: {
      200: {
        description: 'The version',
        body: json(AnyObject, {
          v2: {
            value: { modelName: 'customer-segments', version: 2, status: 'candidate', aliases: ['production'], k: 4 },
          },
        }),
      },
      400: badParams,
      404: noSuchModel,
    },
  },
  {
    method: 'get',
    path: '/api/v1/models/{name}/history',
    tag: 'Models',
    summary: 'Alias moves and other events, newest first',
    description:
      'Who moved which alias when, from which version to which, and why. `?alias=production` narrows it to one alias.',
    params: z.object({ name: NameParam }),
    query: z.object({ alias: AliasParam.optional() }),
    paramExamples: [{ name: 'customer-segments' }, { name: 'customer-segments', alias: 'production' }],
    responses: {
      400: badParams,
      404: noSuchModel,
      200: {
        description: 'The events',
        body: json(HistorySchema, {
          one: {
            value: {
              model: 'customer-segments',
              events: [
                {
                  id: 7,
                  at: '2026-11-25T10:00:00.000Z',
                  actor: 'api:ana',
                  action: 'promote',
                  alias: 'production',
                  fromVersion: 1,
                  toVersion: 2,
                  reason: 'November export',
                },
              ],
            },
          },
        }),
      },
    },
  },
  {
    method: 'get',
    path: '/api/v1/models/{name}/compare',
    tag: 'Models',
    summary: 'Compare two versions',
    description: 'Metrics side by side, centroid shift, and how many training customers would change segment.',
    params: z.object({ name: NameParam }),
    query: z.object({ a: VersionParam, b: VersionParam }),
    paramExamples: [{ name: 'customer-segments', a: '1', b: '2' }],
    responses: {
      400: badParams,
      404: noSuchModel,
      200: { description: 'The comparison', body: json(AnyObject, { one: { value: { a: 1, b: 2 } } }) },
    },
  },
  {
    method: 'post',
    path: '/api/v1/models/{name}/versions/{v}/promote',
    tag: 'Admin',
    admin: true,
    summary: 'Point production at a version (policy-checked)',
    description:
      'Moves the `production` alias after checking the promotion policy; `force: true` overrides it, on record. Every server following the alias ' +
      'switches within a second.',
    params: z.object({ name: NameParam, v: VersionParam }),
    paramExamples: [{ name: 'customer-segments', v: '2' }],
    request: json(PromoteBody, {
      plain: { value: { reason: 'November export' } },
      forced: { value: { reason: 'campaign deadline', force: true } },
    }),
    responses: {
      ...adminErrors,
      200: {
        description: 'The alias moved',
        body: json(AliasMoveSchema, {
          moved: {
            value: {
              modelName: 'customer-segments',
              alias: 'production',
              from: 1,
              to: 2,
              eventId: 12,
              forced: false,
              rules: [],
            },
          },
        }),
      },
      409: {
        description: 'The version is archived',
        body: errorBody({
          archived: { value: err('CONFLICT', 'version 1 of "customer-segments" is archived; it cannot hold an alias') },
        }),
      },
      422: {
        description: 'Refused by the promotion policy',
        body: errorBody({
          policy: {
            value: err('POLICY_REFUSED', 'version 2 does not meet the promotion policy: silhouette 0.21 < 0.25'),
          },
        }),
      },
    },
  },
  {
    method: 'post',
    path: '/api/v1/models/{name}/rollback',
    tag: 'Admin',
    admin: true,
    summary: 'Move an alias back one step',
    description: 'Back to the version the alias pointed at before its last move (again = another step back).',
    params: z.object({ name: NameParam }),
    paramExamples: [{ name: 'customer-segments' }],
    request: json(RollbackBody, {
      plain: { value: { reason: 'bad segment sizes' } },
      staging: { value: { reason: 'undo', alias: 'staging' } },
    }),
    responses: {
      ...adminErrors,
      200: {
        description: 'The alias moved back',
        body: json(AliasMoveSchema, {
          back: { value: { modelName: 'customer-segments', alias: 'production', from: 2, to: 1, eventId: 13 } },
        }),
      },
      409: {
        description: 'Nothing to roll back to',
        body: errorBody({
          none: { value: err('CONFLICT', 'alias "production" has no earlier version to roll back to') },
        }),
      },
    },
  },
  {
    method: 'put',
    path: '/api/v1/models/{name}/aliases/{alias}',
    tag: 'Admin',
    admin: true,
    summary: 'Point any alias at a version',
    description: '`production` goes through the promotion policy, as promote does.',
    params: z.object({ name: NameParam, alias: AliasParam }),
    paramExamples: [{ name: 'customer-segments', alias: 'staging' }],
    request: json(AliasBody, { set: { value: { version: 3, reason: 'try the December model' } } }),
    responses: {
      ...adminErrors,
      200: {
        description: 'The alias moved',
        body: json(AliasMoveSchema, {
          set: { value: { modelName: 'customer-segments', alias: 'staging', from: null, to: 3, eventId: 14 } },
        }),
      },
      409: {
        description: 'The version is archived',
        body: errorBody({
          archived: { value: err('CONFLICT', 'version 1 of "customer-segments" is archived; it cannot hold an alias') },
        }),
      },
      422: {
        description: 'Setting `production`: refused by the promotion policy',
        body: errorBody({
          policy: {
            value: err('POLICY_REFUSED', 'version 2 does not meet the promotion policy: silhouette 0.21 < 0.25'),
          },
        }),
      },
    },
  },
  {
    method: 'delete',
    path: '/api/v1/models/{name}/aliases/{alias}',
    tag: 'Admin',
    admin: true,
    summary: 'Remove an alias',
    description: 'Removes the alias (on record).',
    params: z.object({ name: NameParam, alias: AliasParam }),
    paramExamples: [{ name: 'customer-segments', alias: 'staging' }],
    request: json(ReasonBody, { plain: { value: { reason: 'experiment over' } } }),
    responses: {
      ...adminErrors,
      200: {
        description: 'The alias was removed',
        body: json(z.object({ modelName: z.string(), alias: z.string(), from: z.number().int() }), {
          removed: { value: { modelName: 'customer-segments', alias: 'staging', from: 3 } },
        }),
      },
      409: {
        description: 'The production alias cannot be deleted',
        body: errorBody({
          production: {
            value: err(
              'CONFLICT',
              'the production alias cannot be deleted; promote another version or roll back instead',
            ),
          },
        }),
      },
    },
  },
  {
    method: 'post',
    path: '/api/v1/models/{name}/versions/{v}/relabel',
    tag: 'Admin',
    admin: true,
    summary: 'Rename a segment of one version',
    description: 'Names stay unique within a version; servers pick the new name up without a version change.',
    params: z.object({ name: NameParam, v: VersionParam }),
    paramExamples: [{ name: 'customer-segments', v: '2' }],
    request: json(RelabelBody, { vip: { value: { cluster: 0, name: 'VIP', reason: 'marketing name' } } }),
    responses: {
      ...adminErrors,
      200: {
        description: 'Renamed',
        body: json(z.object({ cluster: z.number().int(), from: z.string(), to: z.string() }), {
          vip: { value: { cluster: 0, from: 'Champions', to: 'VIP' } },
        }),
      },
      409: {
        description: 'Another segment of the version already has the name',
        body: errorBody({
          clash: {
            value: err('CONFLICT', 'cluster 1 of v2 is already named "VIP"; segment names are unique within a version'),
          },
        }),
      },
    },
  },
  {
    method: 'post',
    path: '/api/v1/models/{name}/versions/{v}/archive',
    tag: 'Admin',
    admin: true,
    summary: 'Archive a version',
    description: 'An archived version cannot be promoted until unarchived.',
    params: z.object({ name: NameParam, v: VersionParam }),
    paramExamples: [{ name: 'customer-segments', v: '1' }],
    request: json(ReasonBody, { plain: { value: { reason: 'superseded' } } }),
    responses: {
      ...adminErrors,
      200: {
        description: 'Archived',
        body: json(z.object({ version: z.number().int(), status: z.string() }), {
          done: { value: { version: 1, status: 'archived' } },
        }),
      },
      409: {
        description: 'The version holds an alias: move the alias first',
        body: errorBody({
          aliased: {
            value: err(
              'CONFLICT',
              'v2 of "customer-segments" holds alias "production"; move the alias before you archive it',
            ),
          },
        }),
      },
    },
  },
  {
    method: 'post',
    path: '/api/v1/runs',
    tag: 'Runs',
    admin: true,
    summary: 'Score every customer of an export (in the background)',
    description:
      'The body is the transaction export itself (CSV, CSV.gz or Parquet; the format is told by its bytes) or multipart/form-data with a `file` ' +
      'field (the options may then also be fields). It is read with exactly training’s import rules and scored with the chosen version ' +
      '(default production). Answers 202 with the run id and `Location` at once; the run executes off the request path, one at a time per ' +
      'server, and `GET /api/v1/runs/{id}` follows it. `save=false` keeps only the summary. Customer attributes (e-mail, name, marketing ' +
      'consent) are kept from recognised columns (Shopify `Email`, `Billing Name`, `Accepts Marketing`; common spellings) or those named by ' +
      '`attributes=email=COL,name=COL,consent=COL` (`attributes=none` reads none); the latest non-empty value per customer by invoice date. ' +
      'A consent value that is neither yes nor no fails the run with an error naming the column and line. Any person (viewer or admin); the job records `api:NAME`.',
    query: StartRunQuery,
    request: {
      contentType: 'text/csv',
      raw: { type: 'string' },
      examples: {
        csv: {
          summary: 'a UCI-style export',
          value:
            'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n' +
            '536365,85123A,MUG,6,2010-12-01 08:26:00,2.55,17850,United Kingdom\n',
        },
      },
    },
    responses: {
      202: {
        description: 'Accepted: the run is queued; `Location` is its URL',
        body: json(RunStartedSchema, {
          queued: {
            value: {
              id: 'r-20261130-7f3a9c01',
              state: 'queued',
              model: 'customer-segments',
              version: 2,
              save: true,
              location: '/api/v1/runs/r-20261130-7f3a9c01',
            },
          },
        }),
      },
      400: {
        description: 'An option is not valid (the issue names it), or the body is empty',
        body: errorBody({
          option: {
            value: err('INVALID_INPUT', 'invalid run options: as_of: as_of must be a date YYYY-MM-DD', [
              { path: 'as_of', message: 'as_of must be a date YYYY-MM-DD' },
            ]),
          },
        }),
      },
      ...runAuthErrors,
      404: {
        description: 'No such model, version or alias',
        body: errorBody({ version: { value: err('NOT_FOUND', 'version 99 of "customer-segments" not found') } }),
      },
      413: {
        description: 'The export is larger than the server accepts for one run',
        body: errorBody({
          big: { value: err('PAYLOAD_TOO_LARGE', 'export too large: runs accept at most 2,147,483,648 bytes') },
        }),
      },
      415: {
        description: 'Neither an export body nor multipart/form-data',
        body: errorBody({
          type: {
            value: err('UNSUPPORTED', 'POST /api/v1/runs takes the export as the body (…); got application/json'),
          },
        }),
      },
      503: {
        description: 'Too many runs queued or uploads in progress on this server: retry after Retry-After',
        body: errorBody({
          busy: { value: err('MODEL_UNAVAILABLE', '8 runs are already queued on this server; retry later') },
        }),
      },
    },
  },
  {
    method: 'get',
    path: '/api/v1/runs',
    tag: 'Runs',
    admin: true,
    summary: 'List scoring runs',
    description: 'Newest first, with their state; `?model=` keeps one model’s. Any person (viewer or admin).',
    query: z.object({ model: NameParam.optional() }),
    responses: {
      200: {
        description: 'The runs',
        body: json(RunsListSchema, {
          list: {
            value: {
              runs: [
                {
                  id: 'r-20261130-7f3a9c01',
                  model: 'customer-segments',
                  version: 2,
                  state: 'running',
                  phase: 'reading',
                  rows_read: 0,
                  percent: 0,
                  save: true,
                  saved: false,
                  created_by: 'api:127.0.0.1',
                  created_at: '2026-11-30T19:30:00.000Z',
                  updated_at: '2026-11-30T19:30:01.000Z',
                  cancel_requested: false,
                  error: null,
                },
              ],
            },
          },
        }),
      },
      400: badParams,
      ...runAuthErrors,
    },
  },
  {
    method: 'get',
    path: '/api/v1/runs/{id}',
    tag: 'Runs',
    admin: true,
    summary: 'A run’s state, progress and (when done) its summary',
    description: 'Any worker answers for a run another executes. Any person (viewer or admin).',
    params: z.object({ id: RunIdParam }),
    paramExamples: [{ id: 'r-20261130-00000000' }],
    responses: {
      200: {
        description: 'The run',
        body: json(RunSchema, {
          running: {
            value: {
              id: 'r-20261130-7f3a9c01',
              model: 'customer-segments',
              version: 2,
              state: 'running',
              phase: 'aggregating',
              rows_read: 541909,
              percent: 70,
              save: true,
              saved: false,
              created_by: 'api:127.0.0.1',
              created_at: '2026-11-30T19:30:00.000Z',
              updated_at: '2026-11-30T19:30:02.000Z',
              cancel_requested: false,
              error: null,
            },
          },
        }),
      },
      400: badRunId,
      ...runAuthErrors,
      404: noSuchRun,
    },
  },
  {
    method: 'get',
    path: '/api/v1/runs/{id}/customers',
    tag: 'Runs',
    admin: true,
    summary: 'Every scored customer of a saved run (CSV or JSON lines)',
    description:
      'Streams `cid, recency, frequency, monetary, r_score, f_score, m_score, cluster, segment, distance, outlier, previous_segment, ' +
      'segment_since` (previous segment and since when from the model’s earlier saved runs). `Accept: application/x-ndjson` gives JSON lines. ' +
      '`?segment=` keeps one segment (its name or catalogue key). When the export carried customer attributes the columns are, in the order ' +
      'email tools map them, `cid, email, name, consent, consent_filter, segment, previous_segment, segment_since, recency, frequency, ' +
      'monetary, r_score, f_score, m_score, cluster, distance, outlier`. When it had a consent column, customers without consent (no, or ' +
      'not known) are left out unless `?include_unconsented=true`; every row’s `consent_filter` (`consented_only` / `all_customers`), the ' +
      '`X-RFM-List` header and the file name (`-consented` / `-incl-unconsented`) say which list it is. Any person (viewer or admin).',
    params: z.object({ id: RunIdParam }),
    query: CustomersQuery,
    paramExamples: [{ id: 'r-20261130-00000000' }],
    responses: {
      200: {
        description: 'The customers',
        body: {
          contentType: 'text/csv',
          raw: { type: 'string' },
          examples: {
            csv: {
              value:
                'cid,recency,frequency,monetary,r_score,f_score,m_score,cluster,segment,distance,outlier,previous_segment,segment_since\n' +
                '12346,326,1,77183.6,1,1,5,2,At Risk,1.204113,false,Champions,2011-12-10\n',
            },
            attributes: {
              summary: 'an export with e-mail, name and consent (consented customers only, the default)',
              value:
                'cid,email,name,consent,consent_filter,segment,previous_segment,segment_since,recency,frequency,monetary,' +
                'r_score,f_score,m_score,cluster,distance,outlier\n' +
                'jo@example.com,jo@example.com,Jo Doe,yes,consented_only,Champions,Loyal,2011-12-10,3,12,4100.5,5,5,5,0,0.402113,false\n',
            },
          },
        },
      },
      400: badRunId,
      ...runAuthErrors,
      404: noSuchRun,
      409: notSaved,
    },
  },
  {
    method: 'get',
    path: '/api/v1/runs/{id}/diff',
    tag: 'Runs',
    admin: true,
    summary: 'Who moved between segments since another run',
    description:
      'The transition matrix from `?against=` (default: the model’s previous saved run) to this run: customers and revenue per (from, to) pair, ' +
      'customers who appeared and disappeared; segments matched by catalogue key across versions. Any person (viewer or admin).',
    params: z.object({ id: RunIdParam }),
    query: DiffQuery,
    paramExamples: [{ id: 'r-20261130-00000000' }],
    responses: {
      200: {
        description: 'The migration',
        body: json(AnyObject, { diff: { value: { a: {}, b: {}, transitions: [] } } }),
      },
      400: badRunId,
      ...runAuthErrors,
      404: noSuchRun,
      409: notSaved,
    },
  },
  {
    method: 'delete',
    path: '/api/v1/runs/{id}',
    tag: 'Runs',
    admin: true,
    summary: 'Cancel a run, or delete a saved one',
    description:
      'A queued or running run is cancelled (202; the executing worker stops it within a poll, nothing is saved); a saved run is deleted (200, ' +
      'an event in the audit trail naming `api:NAME`). The admin role only.',
    params: z.object({ id: RunIdParam }),
    paramExamples: [{ id: 'r-20261130-00000000' }],
    responses: {
      200: {
        description: 'The saved run was deleted',
        body: json(RunDeletedSchema, { deleted: { value: { id: 'r-20261130-7f3a9c01', deleted: true } } }),
      },
      202: {
        description: 'Cancellation requested (a queued run is cancelled at once)',
        body: json(RunCancelSchema, {
          cancel: { value: { id: 'r-20261130-7f3a9c01', state: 'running', cancel_requested: true } },
        }),
      },
      400: badRunId,
      ...runAuthErrors,
      404: noSuchRun,
      409: {
        description: 'The run already ended and was not saved: nothing to cancel or delete',
        body: errorBody({
          ended: { value: err('CONFLICT', 'run r-20261130-7f3a9c01 is failed and was not saved: nothing to delete') },
        }),
      },
    },
  },
  {
    method: 'get',
    path: '/api/v1/customers/{cid}',
    tag: 'Runs',
    admin: true,
    summary: 'One customer’s current segment, for a CRM',
    description:
      'The customer in the latest saved run of the served model (`?model=` for another): segment, previous segment and since when (snapshot ' +
      'date of the first run of the unbroken streak), R/F/M and their scores, outlier flag, and the run it came from. Answered from an index of ' +
      'that run, rebuilt when a run is saved, deleted or erased from. Read token or admin token.',
    params: z.object({ cid: CustomerIdParam }),
    query: LookupQuery,
    paramExamples: [{ cid: '12367' }],
    responses: {
      200: {
        description: 'The customer',
        body: json(CustomerLookupSchema, {
          found: {
            value: {
              customer: '12347',
              model: 'customer-segments',
              segment: 'Champions',
              segment_key: 'champions',
              cluster: 0,
              previous_segment: 'Loyal',
              segment_since: '2011-12-10',
              recency: 3,
              frequency: 7,
              monetary: 4310,
              r_score: 5,
              f_score: 5,
              m_score: 5,
              outlier: false,
              run: {
                id: 'r-20261130-7f3a9c01',
                version: 2,
                snapshot_date: '2011-12-10',
                created_at: '2026-11-30T19:30:05.000Z',
                export_name: 'online_retail.csv.gz',
              },
            },
          },
        }),
      },
      400: {
        description: 'Not a customer id (control characters, over 256 characters) or not a model name',
        body: errorBody({
          cid: {
            value: err('INVALID_INPUT', 'invalid customer id: cid: customer id: no control characters', [
              { path: 'cid', message: 'customer id: no control characters' },
            ]),
          },
        }),
      },
      ...runAuthErrors,
      404: {
        description:
          'The model has no saved run, or the customer is not in its latest one (the message says which, never the id)',
        body: errorBody({
          absent: {
            value: err(
              'NOT_FOUND',
              'that customer is not in the latest saved run of model "customer-segments" (r-20261130-7f3a9c01, snapshot 2011-12-10, 4338 customers)',
            ),
          },
        }),
      },
    },
  },
  {
    method: 'post',
    path: '/api/v1/customers/{cid}/forget',
    tag: 'Runs',
    admin: true,
    summary: 'Erase a customer from every saved run and training set',
    description:
      'In one registry transaction: the customer leaves every saved run (counts and summaries recomputed) and every version’s stored training ' +
      'customers; each model touched records a `customer_erase` event holding a keyed hash of the id, never the id. A person erased before ' +
      'is recognised (`erased_before`). Model artifacts hold no per-customer data and are untouched. Admin token only.',
    params: z.object({ cid: CustomerIdParam }),
    paramExamples: [{ cid: '12349' }],
    request: json(ForgetBody, { reason: { value: { reason: 'erasure request 2026-114', actor: 'dpo' } } }),
    responses: {
      200: {
        description: 'Erased (or recognised as erased before: `erased` false, nothing changed)',
        body: json(ForgetResultSchema, {
          erased: {
            value: {
              erased: true,
              erased_before: [],
              subject: 'a'.repeat(64),
              runs: ['r-20261130-7f3a9c01'],
              versions: [{ model: 'customer-segments', version: 2 }],
              storage: {
                complete: true,
                detail: 'write-ahead log checkpointed and truncated; freed pages were zeroed (secure_delete)',
              },
            },
          },
        }),
      },
      400: adminErrors[400],
      ...runAuthErrors,
      404: {
        description: 'The customer is in no saved run and no training set, and was never erased: nothing changed',
        body: errorBody({
          unknown: {
            value: err(
              'NOT_FOUND',
              'that customer is in no saved run and no version’s training customers, and was never erased: nothing changed',
            ),
          },
        }),
      },
      413: {
        description: 'Body larger than 16 kB',
        body: errorBody({ big: { value: err('PAYLOAD_TOO_LARGE', 'request body is larger than 16 kB') } }),
      },
      415: jsonOnly,
    },
  },
  {
    method: 'get',
    path: '/healthz',
    tag: 'Operations',
    summary: 'Liveness',
    description: 'The process answers.',
    responses: { 200: { description: 'Alive', body: json(HealthSchema, { ok: { value: { ok: true } } }) } },
  },
  {
    method: 'get',
    path: '/readyz',
    tag: 'Operations',
    summary: 'Readiness',
    description:
      'Ready once a model is loaded. A version that failed to load (bad checksum, unknown format, schema mismatch) is reported in last_load_error ' +
      'while the previous one keeps serving.',
    responses: {
      200: {
        description: 'Ready',
        body: json(ReadySchema, {
          ok: { value: { ready: true, model_name: 'customer-segments', model_version: 2, last_load_error: null } },
          refused: {
            summary: 'a bad version was refused; v2 still serves',
            value: {
              ready: true,
              model_name: 'customer-segments',
              model_version: 2,
              last_load_error: {
                version: 3,
                message: 'artifact checksum mismatch: expected sha256 …',
                at: '2026-11-25T10:00:00.000Z',
              },
            },
          },
        }),
      },
      503: {
        description: 'No model loaded',
        body: json(ReadySchema, {
          empty: {
            value: {
              ready: false,
              reason: 'registry is empty: no model "customer-segments" trained yet',
              last_load_error: null,
            },
          },
        }),
      },
    },
  },
  {
    method: 'get',
    path: '/metrics',
    tag: 'Operations',
    summary: 'Prometheus metrics',
    description:
      'Request count and latency by route and status, predictions by model version and segment, model loads and load failures, the active version, ' +
      'and Node process metrics. In cluster mode, summed over workers.',
    responses: {
      200: {
        description: 'Prometheus text format',
        body: {
          contentType: 'text/plain',
          raw: { type: 'string' },
          examples: { some: { value: '# TYPE rfm_model_active_version gauge\nrfm_model_active_version 2\n' } },
        },
      },
    },
  },
  {
    method: 'get',
    path: '/openapi.json',
    tag: 'Operations',
    summary: 'This document',
    description:
      'OpenAPI 3.1, generated from the zod schemas the server validates with. A readable version is at /docs.',
    responses: {
      200: {
        description: 'The OpenAPI document',
        body: { contentType: 'application/json', raw: { type: 'object' }, examples: {} },
      },
    },
  },
];

function content(b: BodyDoc) {
  return {
    [b.contentType]: {
      schema: (b.schema ?? b.raw) as z.ZodType,
      examples: Object.fromEntries(
        Object.entries(b.examples).map(([k, e]) => [
          k,
          { ...(e.summary ? { summary: e.summary } : {}), value: e.value },
        ]),
      ),
    },
  };
}

/** `post /api/v1/models/{name}/rollback` → `postApiV1ModelsByNameRollback` */
function operationId(op: OperationDoc): string {
  const camel = op.path
    .replace(/\{(\w+)\}/g, 'By_$1')
    .replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''));
  return `${op.method}${camel}`;
}

let cached: ReturnType<OpenApiGeneratorV31['generateDocument']> | null = null;

/** The OpenAPI 3.1 document (built once per process). */
export function openApiDocument(): ReturnType<OpenApiGeneratorV31['generateDocument']> {
  if (cached) return cached;
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'adminToken', {
    type: 'http',
    scheme: 'bearer',
    description:
      'A person’s token: one from `rfm users add` (users file RFM_USERS; role viewer or admin), or RFM_ADMIN_TOKEN ' +
      '(admin "admin") or RFM_READ_TOKEN (viewer "reader"). Admin routes need the admin role.',
  });
  for (const op of OPERATIONS) {
    const req: Record<string, unknown> = {};
    if (op.query) req.query = op.query;
    if (op.params) req.params = op.params;
    if (op.request) req.body = { required: true, content: content(op.request) };
    registry.registerPath({
      method: op.method,
      path: op.path,
      tags: [op.tag],
      summary: op.summary,
      description: op.description,
      operationId: operationId(op),
      ...(op.admin ? { security: [{ [bearer.name]: [] }] } : {}),
      request: req,
      responses: Object.fromEntries(
        Object.entries(op.responses).map(([status, r]) => [
          status,
          { description: r.description, ...(r.body ? { content: content(r.body) } : {}) },
        ]),
      ),
    } as Parameters<OpenAPIRegistry['registerPath']>[0]);
  }
  const generator = new OpenApiGeneratorV31(registry.definitions);
  cached = generator.generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'rfm — customer segments',
      version: '1',
      description:
        'Score customers into RFM segments with the model the registry’s `production` alias points at; manage versions. Errors are `{error: {code, ' +
        'message, issues}}` with the HTTP status from one table.',
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'Predict', description: 'Score customers' },
      { name: 'Models', description: 'What is served and what is registered' },
      { name: 'Admin', description: 'Move aliases and edit versions (bearer token)' },
      {
        name: 'Runs',
        description: 'Score whole exports in the background; customers and migrations (a viewer or an admin token)',
      },
      { name: 'Operations', description: 'Health, readiness, metrics, this document' },
    ],
  });
  return cached;
}
