// Bundles src/cli.ts into dist/ with esbuild: one entry chunk plus lazily loaded chunks for the
// heavier commands, so `mt4gw --help` does not pay for zod, undici or the table renderer.
//
// Three steps:
// 1. esbuild bundles src/cli.ts with code splitting, which it can only emit as ES modules;
// 2. each chunk is converted to CommonJS (imports between chunks, and every dynamic import(),
//    become require() calls), because on Node 20 only a script — not an ES module — can be given
//    V8's cached bytecode: dist/boot.js runs the chunks through vm.Script with a code cache
//    (src/boot/, docs/performance.md);
// 3. src/boot/index.ts is bundled into dist/boot.js (CommonJS too, run by bin/mt4gw.js), with the
//    id of this build's chunks, which keys the code cache.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = path.join(ROOT, 'dist');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

/**
 * An id of this build: a hash of the version and every source file. The config cache is keyed on
 * it, so a config validated by one build is never trusted by another (src/config/cache.ts).
 */
function buildId() {
  const h = createHash('sha256').update(pkg.version);
  const src = path.join(ROOT, 'src');
  for (const f of readdirSync(src, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts'))
    .sort()) {
    h.update(f).update(readFileSync(path.join(src, f)));
  }
  return h.digest('hex').slice(0, 16);
}

const common = { platform: 'node', target: 'node20', legalComments: 'none', logLevel: 'warning', absWorkingDir: ROOT };

function fail(what, messages) {
  throw new Error(
    `build: ${what}:\n${messages.map((m) => `  ${m.text}${m.location ? ` (${m.location.file}:${m.location.line})` : ''}`).join('\n')}`,
  );
}

rmSync(DIST, { recursive: true, force: true });
const esm = mkdtempSync(path.join(os.tmpdir(), 'mt4gw-build-'));
try {
  // 1. ES module chunks, in a scratch directory.
  await build({
    ...common,
    entryPoints: { cli: 'src/cli.ts' },
    outdir: esm,
    bundle: true,
    splitting: true,
    format: 'esm',
    sourcemap: 'linked',
    define: {
      __MT4GW_VERSION__: JSON.stringify(pkg.version),
      __MT4GW_BUILD__: JSON.stringify(buildId()),
      // The loader passes each chunk its file URL (src/boot/loader.ts).
      'import.meta.url': '__mt4gw_import_meta_url',
    },
    // zeromq is a native module (prebuilt binaries in its package): loaded from node_modules at run
    // time, and only by the dwx transport (a dynamic import, now a require), never bundled.
    external: ['zeromq'],
    // pg's optional libpq binding is never used (the pure JavaScript client is): a stub in its
    // place, so the bundle requires nothing at run time that is not in it.
    plugins: [
      {
        name: 'no-pg-native',
        setup(b) {
          b.onResolve({ filter: /^pg-native$/ }, () => ({ path: 'pg-native', namespace: 'stub' }));
          b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
            contents: "throw new Error('pg-native is not part of mt4gw (it uses the pure JavaScript client)');",
            loader: 'js',
          }));
        },
      },
    ],
  });

  // 2. The same chunks as CommonJS, source maps chained back to src/ and node_modules/.
  const chunks = readdirSync(esm).filter((f) => f.endsWith('.js'));
  const cjs = await build({
    ...common,
    entryPoints: chunks.map((f) => path.join(esm, f)),
    outdir: DIST,
    bundle: false,
    format: 'cjs',
    sourcemap: 'linked',
    // import() of a chunk or a built-in becomes Promise.resolve().then(() => require(…)): a
    // vm.Script on Node 20 has no loader for import().
    supported: { 'dynamic-import': false },
    metafile: true,
  });
  if (cjs.warnings.length) fail('converting the chunks to CommonJS gave warnings', cjs.warnings);
  const dynamic = Object.entries(cjs.metafile.outputs).flatMap(([f, o]) =>
    o.imports.filter((i) => i.kind === 'dynamic-import').map((i) => ({ text: `${path.basename(f)}: import(${i.path}) is left` })),
  );
  if (dynamic.length) fail('a dynamic import() survived the conversion', dynamic);

  // 3. The boot module, with the id of exactly these chunks.
  const code = createHash('sha256');
  for (const f of readdirSync(DIST)
    .filter((f) => f.endsWith('.js'))
    .sort())
    code
      .update(f)
      .update('\0')
      .update(readFileSync(path.join(DIST, f)));
  await build({
    ...common,
    entryPoints: { boot: 'src/boot/index.ts' },
    outdir: DIST,
    bundle: true,
    format: 'cjs',
    define: { __MT4GW_CODE_BUILD__: JSON.stringify(code.digest('hex').slice(0, 16)) },
  });
} finally {
  rmSync(esm, { recursive: true, force: true });
}
