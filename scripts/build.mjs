// Bundles src/cli.ts into dist/ with esbuild: one entry chunk plus lazily loaded chunks for the
// heavier commands, so `mt4gw --version` does not pay for zod, undici or the table renderer.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, rmSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/**
 * An id of this build: a hash of the version and every source file. The config cache is keyed on
 * it, so a config validated by one build is never trusted by another (src/config/cache.ts).
 */
function buildId() {
  const h = createHash('sha256').update(pkg.version);
  const src = new URL('../src/', import.meta.url);
  for (const f of readdirSync(src, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts'))
    .sort()) {
    h.update(f).update(readFileSync(new URL(f, src)));
  }
  return h.digest('hex').slice(0, 16);
}

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { cli: 'src/cli.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  define: { __MT4GW_VERSION__: JSON.stringify(pkg.version), __MT4GW_BUILD__: JSON.stringify(buildId()) },
  // zeromq is a native module (prebuilt binaries in its package): loaded from node_modules at run
  // time, and only by the dwx transport (a dynamic import), never bundled.
  external: ['zeromq'],
  // Some CommonJS dependencies call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
