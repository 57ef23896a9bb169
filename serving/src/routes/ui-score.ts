import { Router, type Request, type Response } from 'express';
import multer from 'multer';
import { RfmError, isRfmError } from '@rfm/shared';
import type { ModelHolder } from '../model-holder.js';
import type { SessionKeeper } from '../ui/session.js';
import { scoreCsvFile } from '../ui/score-file.js';
import { MAX_UPLOAD_MB, renderFormPage } from '../views/form-page.js';

/**
 * POST /score: the form's "score a file" upload (multipart/form-data, works without JavaScript).
 * Answers the scored CSV as a download; a bad file re-renders the page with what is wrong. A
 * script-driven upload (Accept: application/json) gets errors as JSON in the API's shape instead.
 */
export function uiScoreRoutes(holder: ModelHolder, session: SessionKeeper): Router {
  const router = Router();
  const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: MAX_UPLOAD_MB * 1024 * 1024, files: 1, fields: 5, parts: 6 } }).single('file');

  const fail = (req: Request, res: Response, e: RfmError) => {
    res.status(e.httpStatus).set('cache-control', 'no-store');
    if (req.accepts(['html', 'json']) === 'json') return void res.json(e.toJSON());
    const model = holder.current;
    res.type('html').send(
      renderFormPage({
        model,
        ...(model ? {} : { noModelReason: holder.notReadyReason }),
        admin: session.read(req)?.actor ?? null,
        fileError: { message: e.message, problems: e.issues.map((i) => `${i.path}: ${i.message}`) },
      }),
    );
  };

  router.post('/score', (req, res, next) => {
    if (!req.is('multipart/form-data')) return fail(req, res, new RfmError('UNSUPPORTED', 'upload the file with the form (multipart/form-data)'));
    upload(req, res, (err: unknown) => {
      if (err) {
        if (err instanceof multer.MulterError)
          return fail(req, res, err.code === 'LIMIT_FILE_SIZE' ? new RfmError('PAYLOAD_TOO_LARGE', `the file is larger than ${MAX_UPLOAD_MB} MB; split it and upload the parts`) : new RfmError('INVALID_INPUT', `upload refused: ${err.message}`));
        return next(err);
      }
      const file = req.file;
      if (!file || file.size === 0) return fail(req, res, new RfmError('INVALID_INPUT', 'choose a CSV file to score'));
      const model = holder.current; // captured once: the whole file is scored by one version
      if (!model) return fail(req, res, new RfmError('MODEL_UNAVAILABLE', `no model is active: ${holder.notReadyReason}`));
      let scored;
      try {
        scored = scoreCsvFile(model, file.buffer);
      } catch (e) {
        if (isRfmError(e)) return fail(req, res, e);
        return next(e);
      }
      const base = (file.originalname || 'customers.csv').replace(/\.[A-Za-z0-9]{1,5}$/, '').replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'customers';
      res
        .status(200)
        .type('text/csv; charset=utf-8')
        .set('content-disposition', `attachment; filename="${base}-scored-v${scored.modelVersion}.csv"`)
        .set('x-model-version', String(scored.modelVersion))
        .set('cache-control', 'no-store')
        .send(scored.csv);
    });
  });
  return router;
}
