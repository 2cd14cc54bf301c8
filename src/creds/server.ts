/**
 * The static server behind `vfi creds serve`: the page, its stylesheet and its script, on
 * 127.0.0.1 only. Conversion happens in the browser; the server answers GET/HEAD of three files
 * and refuses everything else, so credentials have no way in. Each request is logged with the
 * size of its body (always 0 for an accepted request), which the tests check.
 */
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { VfiError } from '../errors.js';

const PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url));
const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/page.css': { file: 'page.css', type: 'text/css; charset=utf-8' },
  '/page.js': { file: 'page.js', type: 'text/javascript; charset=utf-8' },
};

export interface PageServer {
  url: string;
  close(): Promise<void>;
}

export function servePage(opts: { port: number; log: (line: string) => void }): Promise<PageServer> {
  const server = createServer((req, res) => {
    let body = 0;
    req.on('data', (c: Buffer) => (body += c.length));
    req.on('end', () => {
      const url = (req.url ?? '/').split('?')[0]!;
      const entry = FILES[url];
      let status: number;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        status = 405;
        res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      } else if (!entry) {
        status = 404;
        res.writeHead(404).end();
      } else {
        status = 200;
        const bytes = readFileSync(PAGE_DIR + entry.file);
        res.writeHead(200, {
          'Content-Type': entry.type,
          'Content-Length': bytes.length,
          'Cache-Control': 'no-store',
          // The page talks to nothing: no fetch, no form posts, no outside scripts.
          'Content-Security-Policy': "default-src 'self'; connect-src 'none'; form-action 'none'; img-src 'self' data:",
          'Referrer-Policy': 'no-referrer',
        });
        res.end(req.method === 'HEAD' ? undefined : bytes);
      }
      opts.log(`vfi creds serve: ${req.method} ${url} ${status} body=${body}`);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new VfiError('USAGE', `cannot listen on 127.0.0.1:${opts.port}: ${e.code ?? e.message}`, { port: opts.port })),
    );
    server.listen(opts.port, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : opts.port;
      resolve({
        url: `http://127.0.0.1:${port}/`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}
