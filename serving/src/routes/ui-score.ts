import { Readable } from 'node:stream';
import { Router, type Request, type Response } from 'express';
import multer from 'multer';
import { RfmError, isRfmError } from '@rfm/shared';
import type { ModelHolder } from '../model-holder.js';
import type { SessionKeeper } from '../ui/session.js';
import type { ServingMetrics } from '../metrics.js';
import { streamScoredCsv } from './predict-csv.js';
import { MAX_UPLOAD_MB, renderFormPage } from '../views/form-page.js';
import { MAX_CONCURRENT_UPLOADS, UploadSlots } from '../upload-slots.js';

/**
 * POST /score: the form's "score a file" upload (multipart/form-data), for browsers without
 * JavaScript (with it, the page posts the file straight to POST /api/v1/predict/csv). The scoring
 * is the CSV API's own (streamScoredCsv): same columns, same per-row `error` column, same version
 * header; this route only unwraps the upload and answers it as a download. A file that cannot be
 * scored at all (no header, a missing column) re-renders the page saying what is wrong.
 */
export function uiScoreRoutes(
  holder: ModelHolder,
  session: SessionKeeper,
  metrics?: ServingMetrics,
  slots = new UploadSlots(MAX_CONCURRENT_UPLOADS),
): Router {
  const router = Router();
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: MAX_UPLOAD_MB * 1024 * 1024, files: 1, fields: 5, parts: 6 },
  }).single('file');

  const fail = (req: Request, res: Response, e: RfmError) => {
    res.status(e.httpStatus).set('cache-control', 'no-store');
    if (req.accepts(['html', 'json']) === 'json') return void res.json(e.toJSON());
    const model = holder.current;
    res.type('html').send(
      renderFormPage({
        model,
        ...(model ? {} : { noModelReason: holder.notReadyReason }),
        admin: ((s) => (s ? `${s.actor} (${s.role})` : null))(session.read(req)),
        fileError: { message: e.message, problems: e.issues.map((i) => `${i.path}: ${i.message}`) },
      }),
    );
  };

  router.post('/score', (req, res, next) => {
    if (!req.is('multipart/form-data'))
      return fail(req, res, new RfmError('UNSUPPORTED', 'upload the file with the form (multipart/form-data)'));
    const release = slots.tryAcquire();
    if (!release) {
      // refused before the body is read; close the connection rather than read 20 MB to reuse it
      res.set({ 'retry-after': String(slots.retryAfterS), connection: 'close' });
      return fail(
        req,
        res,
        new RfmError(
          'MODEL_UNAVAILABLE',
          `the server is scoring ${slots.size} uploaded files already; try again in ${slots.retryAfterS} seconds`,
        ),
      );
    }
    res.once('close', release); // answered, failed or the client went away
    upload(req, res, (err: unknown) => {
      if (err) {
        if (err instanceof multer.MulterError)
          return fail(
            req,
            res,
            err.code === 'LIMIT_FILE_SIZE'
              ? new RfmError(
                  'PAYLOAD_TOO_LARGE',
                  `the file is larger than ${MAX_UPLOAD_MB} MB; split it and upload the parts`,
                )
              : new RfmError('INVALID_INPUT', `upload refused: ${err.message}`),
          );
        return next(err);
      }
      const file = req.file;
      if (!file || file.size === 0) return fail(req, res, new RfmError('INVALID_INPUT', 'choose a CSV file to score'));
      const model = holder.current; // captured once: the whole file is scored by one version
      if (!model)
        return fail(req, res, new RfmError('MODEL_UNAVAILABLE', `no model is active: ${holder.notReadyReason}`));
      const base =
        (file.originalname || 'customers.csv')
          .replace(/\.[A-Za-z0-9]{1,5}$/, '')
          .replace(/[^A-Za-z0-9._-]+/g, '_')
          .slice(0, 80) || 'customers';
      const headers = { 'content-disposition': `attachment; filename="${base}-scored-v${model.version}.csv"` };
      streamScoredCsv(Readable.from([file.buffer]), res, model, metrics, headers).catch((e: unknown) => {
        if (res.headersSent) return next(e);
        if (isRfmError(e)) return fail(req, res, e);
        next(e);
      });
    });
  });
  return router;
}
