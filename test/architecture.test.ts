// The layers of src/ (README "Development", docs of each layer) as rules on the import graph, read
// with the TypeScript parser: every static import and re-export, every dynamic import(), and
// whether each is for types only. Plus: only src/cli.ts touches process.exit. The rules are also
// run against small made-up trees, so a rule that could never fire fails here too.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');

interface Edge {
  from: string;
  /** A path under src/ (`risk/index.ts`) for a relative import; the specifier for anything else. */
  to: string;
  /**
   * Erased at run time: `import type`, `export type` or `typeof import()`. (`import { type A }` is
   * not: under verbatimModuleSyntax it stays an import, and the module is still evaluated.)
   */
  typeOnly: boolean;
  /** An import() expression: the module is loaded when that code runs, not with the importer. */
  dynamic: boolean;
  line: number;
}

interface Scan {
  edges: Edge[];
  /** Every use of process.exit: `file:line`. */
  exits: string[];
}

/** Parses each file (path under src/ → its text) into import edges and process.exit uses. */
function scan(files: Map<string, string>): Scan {
  const edges: Edge[] = [];
  const exits: string[] = [];
  for (const [file, text] of files) {
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const lineOf = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
    const target = (spec: string): string => {
      if (!spec.startsWith('.')) return spec;
      const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
      return resolved.replace(/\.js$/, '.ts');
    };
    const add = (spec: ts.Expression, typeOnly: boolean, node: ts.Node, dynamic = false) => {
      if (ts.isStringLiteralLike(spec)) edges.push({ from: file, to: target(spec.text), typeOnly, dynamic, line: lineOf(node) });
    };
    const visit = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node)) {
        add(node.moduleSpecifier, node.importClause?.isTypeOnly === true, node);
      } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
        add(node.moduleSpecifier, node.isTypeOnly, node);
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0]) {
        add(node.arguments[0], false, node, true);
      } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
        add(node.argument.literal as ts.Expression, true, node);
      } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
        add(node.moduleReference.expression, node.isTypeOnly, node);
      }
      // process.exit, process['exit'], globalThis.process.exit — called or passed around.
      const exitName =
        (ts.isPropertyAccessExpression(node) && node.name.text === 'exit') ||
        (ts.isElementAccessExpression(node) && ts.isStringLiteralLike(node.argumentExpression) && node.argumentExpression.text === 'exit');
      if (exitName) {
        const owner = (node as ts.PropertyAccessExpression | ts.ElementAccessExpression).expression;
        if (/(^|\.)process$/.test(owner.getText(sf))) exits.push(`${file}:${lineOf(node)}`);
      }
      // const { exit } = process
      if (ts.isVariableDeclaration(node) && node.initializer && /(^|\.)process$/.test(node.initializer.getText(sf))) {
        if (ts.isObjectBindingPattern(node.name) && node.name.elements.some((e) => (e.propertyName ?? e.name).getText(sf) === 'exit'))
          exits.push(`${file}:${lineOf(node)}`);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return { edges, exits };
}

const inside = (p: string, dir: string) => p === dir || p.startsWith(`${dir}/`);
const show = (e: Edge) => `${e.from}:${e.line} imports ${e.to}${e.typeOnly ? ' (types)' : ''}`;

/** Every broken rule, one line each (empty when the tree keeps the layers). */
function violations({ edges, exits }: Scan): string[] {
  const out: string[] = [];
  for (const e of edges) {
    const { from, to } = e;
    if (inside(from, 'risk') && !inside(to, 'risk')) out.push(`risk/ is pure and self-contained: ${show(e)}`);
    if (inside(from, 'output') && inside(to, 'trading') && !e.typeOnly) out.push(`output/ may use trading/ types only: ${show(e)}`);
    if (inside(from, 'bridge') && (inside(to, 'trading') || inside(to, 'commands')))
      out.push(`bridge/ is below trading/ and commands/: ${show(e)}`);
    if (inside(from, 'state') && (inside(to, 'trading') || inside(to, 'commands') || inside(to, 'bridge')))
      out.push(`state/ is below trading/, commands/ and bridge/: ${show(e)}`);
  }
  for (const at of exits) if (!at.startsWith('cli.ts:')) out.push(`only src/cli.ts exits the process: process.exit at ${at}`);
  return out;
}

function readSrc(): Map<string, string> {
  const files = new Map<string, string>();
  for (const f of fs.readdirSync(SRC, { recursive: true }).map(String)) {
    if (f.endsWith('.ts')) files.set(f.split(path.sep).join('/'), fs.readFileSync(path.join(SRC, f), 'utf8'));
  }
  return files;
}

describe('the layers of src/', () => {
  const real = scan(readSrc());

  it('the scanner sees the tree: hundreds of imports, dynamic ones and type-only ones among them', () => {
    expect(real.edges.length).toBeGreaterThan(300);
    expect(real.edges.some((e) => e.from === 'cli.ts' && e.to === 'commands/index.ts' && !e.typeOnly)).toBe(true);
    expect(real.edges.some((e) => e.from === 'commands/account.ts' && e.to === 'commands/handlers/account.ts' && !e.typeOnly)).toBe(true);
    expect(real.edges.some((e) => e.typeOnly)).toBe(true);
    expect(real.exits.some((at) => at.startsWith('cli.ts:'))).toBe(true);
  });

  it('risk/ imports nothing outside risk/; output/ no trading/ at run time; bridge/ no trading/ or commands/; state/ no trading/, commands/ or bridge/; only cli.ts exits', () => {
    expect(violations(real)).toEqual([]);
  });

  it('a command definition loads its handler only through its lazy reference (so --help loads no handler)', () => {
    const reaching = real.edges.filter((e) => !inside(e.from, 'commands/handlers') && inside(e.to, 'commands/handlers') && !e.typeOnly);
    expect(reaching.length).toBeGreaterThan(20);
    expect(reaching.filter((e) => !e.dynamic).map(show)).toEqual([]);
  });
});

describe('each rule fires on a tree that breaks it', () => {
  const check = (files: Record<string, string>) => violations(scan(new Map(Object.entries(files))));

  it('risk/ reaching outside, even for a type or a Node module', () => {
    expect(check({ 'risk/a.ts': "import { x } from './b.js';\nimport './c/d.js';" })).toEqual([]);
    expect(check({ 'risk/a.ts': "import type { Config } from '../config/types.js';" })).toEqual([
      'risk/ is pure and self-contained: risk/a.ts:1 imports config/types.ts (types)',
    ]);
    expect(check({ 'risk/a.ts': "const fs = await import('node:fs');" })).toHaveLength(1);
    expect(check({ 'risk/x/a.ts': "export { y } from '../../state/model.js';" })).toHaveLength(1);
  });

  it('output/ importing trading/ at run time, but not for types', () => {
    expect(check({ 'output/a.ts': "import type { R } from '../trading/read.js';\nlet t: typeof import('../trading/x.js');" })).toEqual([]);
    expect(check({ 'output/a.ts': "import { type R, gather } from '../trading/read.js';" })).toEqual([
      'output/ may use trading/ types only: output/a.ts:1 imports trading/read.ts',
    ]);
    // Still an import at run time (verbatimModuleSyntax keeps it, and the module is evaluated).
    expect(check({ 'output/a.ts': "import { type R } from '../trading/read.js';" })).toHaveLength(1);
    expect(check({ 'output/a.ts': "const m = await import('../trading/read.js');" })).toHaveLength(1);
    expect(check({ 'output/a.ts': "export * from '../trading/read.js';" })).toHaveLength(1);
  });

  it('bridge/ importing trading/ or commands/; state/ importing trading/, commands/ or bridge/', () => {
    expect(check({ 'bridge/dwx/a.ts': "import type { Context } from '../../commands/context.js';" })).toHaveLength(1);
    expect(check({ 'bridge/a.ts': "import { placeOrder } from '../trading/place.js';" })).toHaveLength(1);
    expect(check({ 'bridge/a.ts': "import { EXIT } from '../errors.js';\nimport { x } from '../config/types.js';" })).toEqual([]);
    expect(check({ 'state/a.ts': "import type { Bridge } from '../bridge/transport.js';" })).toHaveLength(1);
    expect(check({ 'state/files/a.ts': "import { x } from '../../trading/ids.js';" })).toHaveLength(1);
    expect(check({ 'state/a.ts': "import { y } from '../commands/run.js';" })).toHaveLength(1);
    expect(check({ 'state/a.ts': "import { z } from './model.js';\nimport { EXIT } from '../errors.js';" })).toEqual([]);
  });

  it('process.exit anywhere but cli.ts, however it is spelled; comments, strings and exitCode do not count', () => {
    expect(check({ 'cli.ts': 'process.exit(1);', 'a.ts': '// process.exit(1)\nconst s = "process.exit";\nprocess.exitCode = 2;' })).toEqual(
      [],
    );
    expect(check({ 'interrupt.ts': 'function f() {\n  process.exit(130);\n}' })).toEqual([
      'only src/cli.ts exits the process: process.exit at interrupt.ts:2',
    ]);
    expect(check({ 'commands/handlers/w.ts': 'setTimeout(() => process.exit(), 250);' })).toHaveLength(1);
    expect(check({ 'a.ts': "const quit = process['exit'];" })).toHaveLength(1);
    expect(check({ 'a.ts': 'globalThis.process.exit(0);' })).toHaveLength(1);
    expect(check({ 'a.ts': 'const { exit } = process;\nexit(1);' })).toHaveLength(1);
  });
});
