#!/usr/bin/env node
// The launcher. `mt4gw --version` is answered here, without loading the program at all; everything
// else goes through dist/boot.js, which runs the bundle with V8's code cache (src/boot/).
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const { readFileSync } = await import('node:fs');
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  const { boot } = await import('../dist/boot.js');
  boot(process.argv);
}
