import type { Command } from 'commander';
import { registerStateCommand } from './halt.js';

export function register(program: Command): void {
  registerStateCommand(program, 'reduce');
}
