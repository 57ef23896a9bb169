import type { Express } from 'express';

interface LayerLike {
  rawPath?: unknown;
  route?: { path: unknown; methods?: Record<string, boolean>; stack?: unknown };
  handle?: { stack?: LayerLike[] };
}

export interface MountedRoute {
  /** upper case, one entry per method of the route */
  method: string;
  /** mount path + route path, express style (`/api/v1/models/:name/history`) */
  path: string;
  /** express's route object (the key metrics label requests by) */
  route: object;
}

/** Every route the app has mounted, found by walking express's router stack once. */
export function mountedRoutes(app: Express): MountedRoute[] {
  const out: MountedRoute[] = [];
  const walk = (stack: LayerLike[] | undefined, prefix: string) => {
    for (const layer of stack ?? []) {
      const raw = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      if (layer.route) {
        const path = `${prefix}${String(layer.route.path)}`;
        for (const [m, on] of Object.entries(layer.route.methods ?? {}))
          if (on && m !== '_all') out.push({ method: m.toUpperCase(), path, route: layer.route });
        if (!Object.keys(layer.route.methods ?? {}).length) out.push({ method: 'ALL', path, route: layer.route });
      } else if (layer.handle?.stack) walk(layer.handle.stack, prefix + raw);
    }
  };
  walk((app as unknown as { router?: { stack?: LayerLike[] } }).router?.stack, '');
  return out;
}
