/**
 * A real PostgreSQL wire server for tests (Node only): PGlite (PostgreSQL compiled to wasm) with pgvector,
 * served on 127.0.0.1 by `@electric-sql/pglite-socket`, so that code under test connects with the standard
 * `pg` client exactly as it would to a production server.
 */
import { createServer } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** A port nobody listens on right now (127.0.0.1). */
export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

/** A running test server: its URI (user `postgres`, database `postgres`), the database, and `stop()`. */
export interface PgTestServer {
  uri: string;
  db: PGlite;
  stop(): Promise<void>;
}

/** Start PGlite + pgvector behind a wire-protocol socket on a free localhost port. */
export async function startPgServer(): Promise<PgTestServer> {
  const db = await PGlite.create({ extensions: { vector } });
  const port = await freePort();
  const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', maxConnections: 16 });
  await server.start();
  return {
    uri: `postgres://postgres:secret-password@127.0.0.1:${port}/postgres`,
    db,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}
