#!/usr/bin/env node
// The launcher, a CommonJS script (bin/package.json): an ES module as the entry point costs every
// run ~6 ms more, for Node's ES module loader (docs/performance.md). `mt4gw --version` is answered
// here, without loading the program; everything else goes to dist/boot.js, which runs the bundle
// with V8's code cache (src/boot/).
'use strict';
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const { readFileSync } = require('node:fs');
  process.stdout.write(`${JSON.parse(readFileSync(require('node:path').join(__dirname, '..', 'package.json'), 'utf8')).version}\n`);
} else {
  // dist/ holds CommonJS code in .js files under a "type": "module" package.json, so Node's own
  // require would take it for an ES module: boot.js is compiled here as the chunks are (without a cache: 10 KB).
  const { readFileSync } = require('node:fs');
  const { dirname, join } = require('node:path');
  const { Script } = require('node:vm');
  const file = join(__dirname, '..', 'dist', 'boot.js');
  const code = `(function (exports, require, module, __filename, __dirname) {${readFileSync(file, 'utf8')}\n})`;
  const module = { exports: {} };
  new Script(code, { filename: file }).runInThisContext()(module.exports, require, module, file, dirname(file));
  module.exports.boot(process.argv, dirname(file));
}
