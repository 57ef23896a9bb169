import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Router } from 'express';

/**
 * The UI's static files (serving/assets/), read once at start-up and served from memory under
 * /assets/. Pages link them with a content hash (`/assets/rfm.css?v=…`), so a browser may keep
 * them for a year and still gets a new file the moment it changes. Nothing comes from a CDN.
 */
const DIR = new URL('../../assets/', import.meta.url); // same depth from src/ui and dist/ui

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface Asset {
  body: Buffer;
  type: string;
  hash: string;
}

const FILES = ['rfm.css', 'rfm.js', 'favicon.svg'] as const;
export type AssetName = (typeof FILES)[number];

let cache: Map<string, Asset> | null = null;

function load(): Map<string, Asset> {
  if (cache) return cache;
  const m = new Map<string, Asset>();
  for (const name of FILES) {
    const body = readFileSync(new URL(name, DIR));
    m.set(name, {
      body,
      type: TYPES[name.slice(name.lastIndexOf('.'))]!,
      hash: createHash('sha256').update(body).digest('hex').slice(0, 12),
    });
  }
  cache = m;
  return m;
}

/** `/assets/<name>?v=<content hash>` */
export function assetUrl(name: AssetName): string {
  return `/assets/${name}?v=${load().get(name)!.hash}`;
}

export function assetRoutes(): Router {
  const router = Router();
  load(); // fail at start-up, not on the first page view, if a file is missing
  router.get('/assets/:file', (req, res, next) => {
    const a = load().get(req.params.file);
    if (!a) return next();
    const fresh = req.query.v === a.hash;
    res
      .status(200)
      .type(a.type)
      .set('cache-control', fresh ? 'public, max-age=31536000, immutable' : 'public, max-age=300')
      .set('x-content-type-options', 'nosniff')
      .send(a.body);
  });
  return router;
}
