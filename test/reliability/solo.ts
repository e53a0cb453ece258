// An agents.yml holding one agent of a desk: its block of the desk's file, copied. Tests that run
// many cells at once give each cell an agent of its own and run it with this file, so a command
// that reaches "every agent" (a signal, a summary) reaches that one only.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Desk } from '../helpers/desk.js';

export interface Solo {
  /** The file written. */
  path: string;
  /** The agent's block (`  <id>:` and its indented lines). */
  block: string[];
  /** The sim port and the token variable of the agent. */
  port: number;
  tokenVar: string;
}

export function soloConfig(desk: Desk, agent: string): Solo {
  const lines = readFileSync(desk.configPath, 'utf8').split('\n');
  const start = lines.indexOf(`  ${agent}:`);
  if (start < 0) throw new Error(`no agent ${agent} in ${desk.configPath}`);
  let end = start + 1;
  while (end < lines.length && lines[end]!.startsWith('    ')) end++;
  const block = lines.slice(start, end);
  const path = join(desk.dir, `solo-${agent}.yml`);
  writeFileSync(path, ['agents:', ...block, ''].join('\n'));
  const port = Number(/^\s+port: (\d+)$/m.exec(block.join('\n'))?.[1]);
  const tokenVar = /token: \$\{(\w+)\}/.exec(block.join('\n'))?.[1] ?? '';
  return { path, block, port, tokenVar };
}
