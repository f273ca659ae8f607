// SMART Health Links through an independent implementation (npm "kill-the-clipboard").
//
//   node shl_interop.mjs open SHLINK RECIPIENT [PASSCODE]
//       resolve a link with its SHLViewer (real fetch); print one JSON line:
//       {"types": {resourceType: count}, "cards": n} or {"error": name, "message": text}
//   node shl_interop.mjs serve BUNDLE_JSON_FILE FLAG [PASSCODE]
//       make a link with its SHL + SHLManifestBuilder and serve it on 127.0.0.1 (a free port);
//       print {"shlink": ...} once listening, then serve until killed. With FLAG P the
//       manifest endpoint checks PASSCODE (the library leaves passcodes to the server).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { SHL, SHLManifestBuilder, SHLViewer } from 'kill-the-clipboard';

const [mode, ...args] = process.argv.slice(2);

async function open([shlink, recipient, passcode]) {
  try {
    const viewer = new SHLViewer({ shlinkURI: shlink });
    const resolved = await viewer.resolveSHL({ recipient, passcode, embeddedLengthMax: 1000 });
    const types = {};
    for (const bundle of resolved.fhirResources) {
      for (const entry of bundle.entry ?? []) {
        const t = entry.resource.resourceType;
        types[t] = (types[t] ?? 0) + 1;
      }
    }
    console.log(JSON.stringify({ types, bundles: resolved.fhirResources.map((b) => b.type),
                                 cards: resolved.smartHealthCards.length }));
  } catch (error) {
    console.log(JSON.stringify({ error: error.name, message: error.message }));
  }
}

async function serve([bundleFile, flag, passcode]) {
  const files = new Map();
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  const shl = SHL.generate({ baseManifestURL: `${base}/manifests/`, manifestPath: '/manifest.json',
                             label: 'From kill-the-clipboard', flag: flag === '-' ? undefined : flag });
  const builder = new SHLManifestBuilder({
    shl,
    uploadFile: async (content) => { const path = `file-${files.size + 1}`; files.set(path, content); return path; },
    getFileURL: async (path) => `${base}/files/${path}`,
    loadFile: async (path) => files.get(path),
  });
  await builder.addFHIRResource({ content: JSON.parse(readFileSync(bundleFile, 'utf-8')) });
  server.on('request', (req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', async () => {
      const url = `${base}${req.url}`;
      if (req.method === 'POST' && url === shl.url) {
        const request = JSON.parse(body || '{}');
        if (flag === 'P' && request.passcode !== passcode) {
          res.writeHead(401, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ remainingAttempts: 3 }));
          return;
        }
        const manifest = await builder.buildManifest({ embeddedLengthMax: request.embeddedLengthMax });
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(manifest));
        return;
      }
      const name = req.url.split('?')[0].split('/').pop();
      if (req.method === 'GET' && files.has(name)) {
        res.writeHead(200, { 'Content-Type': 'application/jose' });
        res.end(files.get(name));
        return;
      }
      res.writeHead(404);
      res.end();
    });
  });
  console.log(JSON.stringify({ shlink: shl.toURI() }));
}

if (mode === 'open') await open(args);
else if (mode === 'serve') await serve(args);
else { console.error('usage: shl_interop.mjs open|serve ...'); process.exit(2); }
