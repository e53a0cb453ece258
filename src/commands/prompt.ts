// Confirmation prompts. Every prompt has a flag; without a terminal and without the flag, refuse
// with a message naming the flag — never hang waiting for input that cannot come.
import { UsageError } from '../errors.js';
import type { Context } from './context.js';

/**
 * The prompt library (~800 KB bundled), loaded only when a person at a terminal is actually asked
 * something: scripts and --yes never pay for it. The one lazy load handlers share for it.
 */
export function loadPrompts(): Promise<typeof import('@inquirer/prompts')> {
  return import('@inquirer/prompts');
}

export async function confirmOrRefuse(
  ctx: Context,
  o: { yes: boolean | undefined; action: string; question: string; typeWord?: string },
): Promise<void> {
  if (o.yes) return;
  if (!ctx.interactive) {
    throw new UsageError(`refusing to ${o.action} without confirmation: this is not an interactive terminal; nothing was sent`, {
      hint: `Add --yes to confirm from a script${o.typeWord ? ` (e.g. mt4gw ${o.typeWord.toLowerCase()} --yes)` : ''}.`,
    });
  }
  const prompts = await loadPrompts();
  const context = { input: process.stdin, output: process.stderr, clearPromptOnDone: false };
  let ok: boolean;
  try {
    if (o.typeWord) {
      const word = o.typeWord;
      const answer = await prompts.input({ message: `${o.question} Type ${word} to confirm:` }, context);
      ok = answer.trim() === word;
    } else {
      ok = await prompts.confirm({ message: o.question, default: false }, context);
    }
  } catch (e) {
    // Ctrl-C / Ctrl-D at the prompt.
    if ((e as Error).name === 'ExitPromptError' || (e as Error).name === 'AbortPromptError') ok = false;
    else throw e;
  }
  if (!ok) throw new UsageError(`cancelled: nothing was sent`);
}
