// The messages of agents.yml problems that need more than the schema knows: unknown keys with the
// key that was meant (or the section it belongs to), and `token:` values, never quoting a token.
import { ENV_REF, KEY_ALIASES, KNOWN_KEYS, SECTIONS, type Section } from './schema.js';
import { isPlain } from './plain.js';
import { closest } from './suggest.js';
import type { Seg } from './yaml-locator.js';

export type Level = 'root' | 'agent' | 'defaults' | Section | 'symbol' | 'state';

const SECTION_KEYS: Readonly<Record<Section, readonly string[]>> = {
  mt4: KNOWN_KEYS.mt4,
  strategy: KNOWN_KEYS.strategy,
  risk: KNOWN_KEYS.risk,
};

export function unknownKeyMessage(key: string, level: Level, value: unknown): string {
  const head = `unknown key \`${key}\``;
  if (key === '<<') return `${head}: YAML merge keys are not supported; put shared settings under the top-level \`defaults:\` key`;
  const known: readonly string[] = level === 'agent' ? KNOWN_KEYS.agent : level === 'defaults' ? KNOWN_KEYS.defaults : KNOWN_KEYS[level];
  if (level === 'root' && isPlain(value) && SECTIONS.some((s) => Object.hasOwn(value, s))) {
    return `${head}: agents go under \`agents:\` (write \`agents:\` and indent \`${key}:\` below it)`;
  }
  if (level === 'defaults' && key === 'id') return `\`id\` cannot have a default: each agent's id is its key under \`agents:\``;
  const near = closest(key, known);
  if (near) return `${head}; did you mean \`${near}\`?`;
  if (level === 'agent' || level === 'defaults') {
    const alias = KEY_ALIASES[key];
    if (alias) return `${head}; did you mean \`${alias}\`?`;
    for (const section of SECTIONS) {
      const inSection = closest(key, SECTION_KEYS[section]);
      if (inSection) return `${head}; did you mean \`${section}.${inSection}\`? (it belongs under \`${section}:\`)`;
    }
  }
  if ((SECTIONS as readonly string[]).includes(level)) {
    for (const section of SECTIONS) {
      if (section === level) continue;
      const other = closest(key, SECTION_KEYS[section]);
      if (other) return `${head}: \`${other}\` belongs under \`${section}:\`, not under \`${level}:\``;
    }
    const agentKey = closest(key, KNOWN_KEYS.agent);
    if (agentKey && !(SECTIONS as readonly string[]).includes(agentKey))
      return `${head}: \`${agentKey}\` belongs directly under the agent, not under \`${level}:\``;
  }
  const list = known.map((k) => `\`${k}\``).join(', ');
  return `${head}; the keys allowed here are ${list}${level === 'root' ? ' (top-level keys starting with `x-` are ignored, for YAML anchors)' : ''}`;
}

/** The level of the mapping at `rel` inside an agent (or `defaults:`). */
export function agentLevel(rel: readonly Seg[], top: 'agent' | 'defaults'): Level {
  if (rel.length === 0) return top;
  const s = rel[0];
  return rel.length === 1 && typeof s === 'string' && (SECTIONS as readonly string[]).includes(s) ? (s as Section) : top;
}

/** The environment variable name suggested for an agent's token: agent_1 -> MT4GW_AGENT1_TOKEN. */
export function tokenVariableFor(agentId: string): string {
  const slug = agentId.toUpperCase().replace(/[^A-Z0-9]/g, '');
  return `MT4GW_${slug || 'AGENT'}_TOKEN`;
}

/**
 * What is wrong with a `token:` value, without ever quoting it; undefined when it is absent or a
 * well-formed `${NAME}` reference.
 */
export function tokenProblem(raw: unknown, suggestedVar: string): string | undefined {
  if (raw === undefined) return undefined;
  const how = `Put it in an environment variable and write \`token: \${${suggestedVar}}\`, or use \`token_file:\``;
  if (raw === null) return `is empty; write \`token: \${${suggestedVar}}\`, use \`token_file:\`, or remove the key`;
  if (typeof raw === 'string') {
    const t = raw.trim();
    if (ENV_REF.test(t)) return undefined;
    if (/^\$[A-Za-z_][A-Za-z0-9_]*$/.test(t)) {
      return `an environment reference needs braces: write it as \`\${NAME}\`, e.g. \`token: \${${suggestedVar}}\` (the value is not shown)`;
    }
    if (t.startsWith('${')) {
      return `is not a valid environment reference: write exactly \`\${NAME}\`, NAME being letters, digits and _ and not starting with a digit, e.g. \`token: \${${suggestedVar}}\` (the value is not shown)`;
    }
  }
  return `holds a literal token; secrets must not live in agents.yml. ${how} (the value is not shown)`;
}

/**
 * What is wrong with `state.url`, never quoting it (it holds the database password); undefined
 * when it is a well-formed `${NAME}` reference.
 */
export function stateUrlProblem(raw: unknown): string | undefined {
  const how = 'Put the URL in an environment variable and write `url: ${MT4GW_DESK_DB}`, or use `url_file:`';
  if (raw === null) return `is empty; write \`url: \${MT4GW_DESK_DB}\`, use \`url_file:\`, or remove the key`;
  if (typeof raw === 'string') {
    const t = raw.trim();
    if (ENV_REF.test(t)) return undefined;
    if (t.startsWith('$')) {
      return 'is not a valid environment reference: write exactly `${NAME}`, NAME being letters, digits and _ and not starting with a digit, e.g. `url: ${MT4GW_DESK_DB}` (the value is not shown)';
    }
  }
  return `holds a literal URL; the database URL carries its password and must not live in agents.yml. ${how} (the value is not shown)`;
}
