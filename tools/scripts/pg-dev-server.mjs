#!/usr/bin/env node
/**
 * A PostgreSQL + pgvector server for trying `@pir/search`'s postgres:// store with nothing installed: PGlite
 * (PostgreSQL compiled to wasm) with the pgvector extension, served over the PostgreSQL wire protocol on
 * 127.0.0.1 by `@electric-sql/pglite-socket`. For development and tests — one process, queries run one at a
 * time; production wants a real PostgreSQL with pgvector (see packages/search/README.md).
 *
 *   node tools/scripts/pg-dev-server.mjs [--port 5432] [--data ./pgdata]   (Ctrl-C stops)
 *   pir index archive/ --model runs/tiny/model --store 'postgres://postgres@127.0.0.1:5432/postgres?collection=archive'
 */
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '5432' }, data: { type: 'string' } },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`--port must be a port number, got ${values.port}`);
  process.exit(2);
}
const db = await PGlite.create(values.data ?? 'memory://', { extensions: { vector } });
const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', maxConnections: 32 });
await server.start();
console.log(
  `PostgreSQL (PGlite + pgvector) on postgres://postgres@127.0.0.1:${port}/postgres, data ${values.data ?? 'in memory'}; Ctrl-C stops`,
);
const stop = async () => {
  await server.stop();
  await db.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
