/**
 * {@link createSearchServer}: a small HTTP JSON API over a store and its model (`pir serve`).
 *
 * | route | what |
 * |---|---|
 * | `GET /health` | `{ status: 'ok', model: {name, configHash, dim}, items }` |
 * | `POST /search` | body `{ "text": "a harbour", "k": 10 }` or `{ "image": "<base64 PNG/JPEG/TIFF>", "k": 10 }`, optional `"kind": "caption"` (captions instead of images) → `{ hits: [{rank, score, id, path, window?, bounds?, caption?}] }` |
 * | `GET /image?id=<id>` | the indexed image (or tile) as PNG — only ids the store holds |
 * | `GET /` | a page to type a caption and see the hits |
 *
 * Untrusted requests: bodies above `maxBodyBytes` are cut off with 413, bad JSON or fields give 400 naming the
 * field, other methods 405, unknown routes 404; searches run one at a time (the model holds the thread) with at
 * most `maxQueue` waiting — beyond that 503 with `Retry-After`; an error in one request never stops the server.
 * Binds to 127.0.0.1 unless told otherwise.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeImage } from '@pir/datasets';
import { cleanCaption } from '@pir/datasets/captions';
import type { RetrievalModel } from '@pir/models';
import { identityOf, imageVector } from '../embed.js';
import { kindOf, type SearchHit, type VectorStore } from '../index.js';

/** Options of {@link createSearchServer}. */
export interface SearchServerOptions {
  model: RetrievalModel;
  store: VectorStore;
  /** Largest request body in bytes (default 8 MiB: an image query). */
  maxBodyBytes?: number;
  /** Searches waiting beyond the running one before 503 (default 16). */
  maxQueue?: number;
  /** Largest `k` (default 100). */
  maxK?: number;
  /** Renders an indexed image as PNG for `GET /image` (default: none — 404). */
  imageOf?: (id: string) => Promise<Uint8Array | undefined>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>PIR archive search</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}form{display:flex;gap:.5rem}
input[type=text]{flex:1;font-size:1.1rem;padding:.4rem}button{font-size:1.1rem}
#hits{display:grid;grid-template-columns:repeat(auto-fill,minmax(11rem,1fr));gap:1rem;margin-top:1rem}
figure{margin:0}img{width:100%;aspect-ratio:1;object-fit:cover;background:#eee}figcaption{font-size:.85rem}
#status{color:#555;margin-top:.5rem}</style></head>
<body><h1>PIR archive search</h1><p id="model"></p>
<form id="f"><label for="q">Caption</label><input id="q" type="text" required placeholder="a harbour with several boats beside a long pier">
<label for="k">k</label><input id="k" type="number" min="1" max="100" value="12"><button>Search</button></form>
<div id="status" role="status"></div><div id="hits"></div>
<script>
const $=(id)=>document.getElementById(id);
fetch('/health').then(r=>r.json()).then(h=>{$('model').textContent='model '+h.model.name+' · '+h.items+' images indexed'});
$('f').addEventListener('submit',async(e)=>{e.preventDefault();$('status').textContent='searching…';
const r=await fetch('/search',{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify({text:$('q').value,k:Number($('k').value)})});
const j=await r.json();if(!r.ok){$('status').textContent=j.error;return}
$('status').textContent=j.hits.length+' hits';$('hits').replaceChildren(...j.hits.map(h=>{const f=document.createElement('figure');
const i=document.createElement('img');i.src='/image?id='+encodeURIComponent(h.id);i.alt=h.path;const c=document.createElement('figcaption');
c.textContent='#'+h.rank+' '+h.score.toFixed(3)+' '+h.path;f.append(i,c);return f}))});
</script></body></html>`;

/** Read a body up to `limit` bytes (413 beyond). */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((ok, fail) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      fail(new HttpError(413, `the body is ${declared} bytes; the limit is ${limit}`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        fail(new HttpError(413, `the body is over the limit of ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => ok(Buffer.concat(chunks)));
    req.on('error', fail);
  });
}

function hitJson(h: SearchHit) {
  return {
    rank: h.rank,
    score: h.score,
    id: h.item.id,
    path: h.item.path,
    ...(h.item.window === undefined ? {} : { window: h.item.window }),
    ...(h.item.bounds === undefined ? {} : { bounds: h.item.bounds }),
    ...(h.item.caption === undefined ? {} : { caption: h.item.caption }),
  };
}

/**
 * An HTTP server over `store` and `model` (see the module doc); not listening yet — call `listen`.
 * @example
 * ```ts
 * const server = createSearchServer({ model, store });
 * server.listen(8080, '127.0.0.1');
 * ```
 */
export function createSearchServer(options: SearchServerOptions): http.Server {
  const { model, store } = options;
  const maxBody = options.maxBodyBytes ?? 8 * 2 ** 20;
  const maxQueue = options.maxQueue ?? 16;
  const maxK = options.maxK ?? 100;
  const identity = identityOf(model);
  let chain: Promise<unknown> = Promise.resolve();
  let waiting = 0;
  /** Run `job` after the searches before it; 503 when too many wait. */
  const enqueue = <T>(job: () => Promise<T>): Promise<T> => {
    if (waiting >= maxQueue + 1) throw new HttpError(503, 'busy: too many searches waiting, retry shortly');
    waiting++;
    const run = chain.then(job, job);
    chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run.finally(() => {
      waiting--;
    });
  };

  const search = async (body: Buffer) => {
    let req: { text?: unknown; image?: unknown; k?: unknown; kind?: unknown };
    try {
      req = JSON.parse(body.toString('utf8'));
    } catch {
      throw new HttpError(400, 'the body is not JSON: send {"text": "a caption", "k": 10}');
    }
    if (typeof req !== 'object' || req === null) throw new HttpError(400, 'the body must be a JSON object');
    const k = req.k === undefined ? 10 : req.k;
    if (!Number.isInteger(k) || (k as number) < 1 || (k as number) > maxK)
      throw new HttpError(400, `k must be an integer in [1, ${maxK}], got ${JSON.stringify(req.k)}`);
    const kind = req.kind === undefined ? 'image' : req.kind;
    if (kind !== 'image' && kind !== 'caption')
      throw new HttpError(400, `"kind" must be "image" or "caption", got ${JSON.stringify(req.kind)}`);
    const hasText = req.text !== undefined;
    const hasImage = req.image !== undefined;
    if (hasText === hasImage)
      throw new HttpError(400, 'give exactly one of "text" (a caption) and "image" (base64)');
    let embed: () => Promise<Float32Array>;
    if (hasText) {
      if (typeof req.text !== 'string' || req.text.trim() === '' || req.text.length > 2000)
        throw new HttpError(400, '"text" must be a non-empty caption of at most 2000 characters');
      const caption = cleanCaption(req.text, { maxWords: 30 });
      embed = async () => {
        const e = model.embedTexts([caption]);
        try {
          return (await e.data()) as Float32Array;
        } finally {
          e.dispose();
        }
      };
    } else {
      if (typeof req.image !== 'string') throw new HttpError(400, '"image" must be a base64 string');
      const bytes = new Uint8Array(Buffer.from(req.image, 'base64'));
      let img: Awaited<ReturnType<typeof decodeImage>>;
      try {
        img = await decodeImage(bytes, { file: 'the request image' });
      } catch (e) {
        throw new HttpError(400, `"image" is not an image: ${(e as Error).message}`);
      }
      embed = () => imageVector(model, img);
    }
    // the embedding and the scan of the store, one search at a time
    const [hits] = await enqueue(async () => store.search(identity, await embed(), k as number, { kind }));
    return { hits: (hits ?? []).map(hitJson) };
  };

  return http.createServer((req, res) => {
    const send = (status: number, body: unknown, type = 'application/json') => {
      if (res.headersSent) return;
      const data = type === 'application/json' ? JSON.stringify(body) : (body as string | Uint8Array);
      res.writeHead(status, {
        'content-type': type,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        ...(status === 503 ? { 'retry-after': '1' } : {}),
      });
      res.end(data);
    };
    const url = new URL(req.url ?? '/', 'http://localhost');
    const handle = async () => {
      if (url.pathname === '/health') {
        if (req.method !== 'GET') throw new HttpError(405, 'GET /health');
        const [images, captions] = await Promise.all([store.count('image'), store.count('caption')]);
        return send(200, { status: 'ok', model: identity, items: images, captions });
      }
      if (url.pathname === '/search') {
        if (req.method !== 'POST') throw new HttpError(405, 'POST /search with {"text": …} or {"image": …}');
        return send(200, await search(await readBody(req, maxBody)));
      }
      if (url.pathname === '/image') {
        if (req.method !== 'GET') throw new HttpError(405, 'GET /image?id=…');
        const id = url.searchParams.get('id');
        const item = id === null ? undefined : await store.get(id);
        if (id === null || item === undefined || kindOf(item) !== 'image' || options.imageOf === undefined)
          throw new HttpError(404, 'no such image');
        const png = await options.imageOf(id);
        if (png === undefined) throw new HttpError(404, 'the image cannot be read');
        return send(200, png, 'image/png');
      }
      if (url.pathname === '/') {
        if (req.method !== 'GET') throw new HttpError(405, 'GET /');
        return send(200, PAGE, 'text/html; charset=utf-8');
      }
      throw new HttpError(404, `no route ${url.pathname}: GET /health, POST /search, GET /image?id=, GET /`);
    };
    handle().catch((e: unknown) => {
      if (e instanceof HttpError) send(e.status, { error: e.message });
      else send(500, { error: `internal error: ${(e as Error)?.message ?? String(e)}` });
      if (e instanceof HttpError && e.status === 413) res.on('finish', () => req.destroy());
    });
  });
}

/** The address a listening server got (`http://host:port`). */
export function serverUrl(server: http.Server): string {
  const a = server.address() as AddressInfo;
  return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
}
