import type { Compilable, CompiledQuery } from 'kysely';
import type { Db } from './store.js';

/** Stands for the i-th argument while a query is built once; swapped for the real value on each call. */
class Arg {
  constructor(readonly index: number) {}
}

/**
 * A query built and compiled once per database handle, then run with new arguments. Building a
 * Kysely query (immutable, frozen nodes; parsed "table.column as alias" strings) and compiling it
 * cost about 0.3 ms each time on a loaded 2-core machine: more than SQLite takes to answer, and
 * the reason `show` went from 0.8 to 3.7 ms after the move to Kysely. The hot reads (list, show,
 * resolve, a server's reload) use these.
 *
 * `build` must give a query whose SQL does not depend on the argument values (no `in` lists of
 * varying length, no branches on an argument): it is called once with placeholders, and each
 * argument must reach the query as a bound value (where/limit values), never as a name.
 * Handles are keyed weakly: a transaction's handle builds its own copy, which is dropped with it.
 */
export function builtOnce<A extends unknown[], R>(
  build: (db: Db, ...args: A) => Compilable<R>,
): (db: Db, ...args: A) => Promise<R[]> {
  const compiled = new WeakMap<Db, CompiledQuery<R>>();
  return async (db, ...args) => {
    let c = compiled.get(db);
    if (!c) {
      c = build(db, ...(args.map((_, i) => new Arg(i)) as A)).compile();
      const bound = new Set(c.parameters.flatMap((p) => (p instanceof Arg ? [p.index] : [])));
      if (bound.size !== args.length)
        throw new Error('builtOnce: every argument must reach the query as a bound value');
      compiled.set(db, c);
    }
    const parameters = c.parameters.map((p) => (p instanceof Arg ? args[p.index] : p));
    return (await db.executeQuery<R>({ ...c, parameters })).rows;
  };
}
