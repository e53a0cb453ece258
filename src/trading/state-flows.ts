// The trading-state transitions — halt, reduce, resume — each recorded in the store with who, when
// and why, and journaled. Panic's halt is in panic.ts (it must not fail on a broken store).
import { describeEntry, effectiveState, type EffectiveState, type StateEntry, type TradingStateDoc } from '../state/model.js';
import type { DeskStore } from '../state/store.js';

export interface StateChangeOutcome {
  scope: 'desk' | string;
  entry: StateEntry;
  /** For an agent: the state it trades under (the desk's may be stricter). */
  effective: EffectiveState | undefined;
}

/** Sets the desk (agent undefined) or one agent to halted or reducing. */
export async function setState(
  store: DeskStore,
  state: 'halted' | 'reducing',
  reason: string,
  agent: string | undefined,
  via: string,
): Promise<StateChangeOutcome> {
  const doc = await store.updateState((d, entry) => {
    if (agent === undefined) d.global = entry(state);
    else d.agents[agent] = entry(state);
  }, reason);
  await store.append({ event: 'halt', agent, scope: agent ?? 'desk', state, reason, via });
  const entry = agent === undefined ? doc.global : doc.agents[agent]!;
  return { scope: agent ?? 'desk', entry, effective: agent === undefined ? undefined : effectiveState(doc, agent) };
}

export interface ResumePlan {
  /** `desk halted by ops@host at …: panic`, one per restriction the resume lifts. */
  lifting: string[];
  before: TradingStateDoc;
}

const restricted = (s: TradingStateDoc) => Object.entries(s.agents).filter(([, e]) => e.state !== 'active');

/** What a resume of the desk (agent undefined; all: every agent too) or of one agent would lift. */
export async function planResume(store: DeskStore, agent: string | undefined, all: boolean): Promise<ResumePlan> {
  const before = await store.readState();
  const lifting = [
    ...(agent === undefined && before.global.state !== 'active' ? [describeEntry('desk', before.global)] : []),
    ...(agent !== undefined && before.agents[agent] && before.agents[agent].state !== 'active'
      ? [describeEntry(agent, before.agents[agent])]
      : []),
    ...(all && agent === undefined ? restricted(before).map(([a, e]) => describeEntry(a, e)) : []),
  ];
  return { lifting, before };
}

export interface ResumeOutcome {
  state: TradingStateDoc;
  effective: EffectiveState | undefined;
  /** Agents still halted or reducing on their own after a desk resume. */
  stillRestricted: Array<[string, StateEntry]>;
}

export async function resume(
  store: DeskStore,
  agent: string | undefined,
  all: boolean,
  reason: string,
  lifted: string[],
): Promise<ResumeOutcome> {
  const s = await store.updateState((state, entry) => {
    if (agent !== undefined) state.agents[agent] = entry('active');
    else {
      state.global = entry('active');
      if (all) for (const [a] of restricted(state)) state.agents[a] = entry('active');
    }
  }, reason);
  await store.append({ event: 'resume', agent, scope: agent ?? 'desk', all, reason, lifted });
  return { state: s, effective: agent === undefined ? undefined : effectiveState(s, agent), stillRestricted: restricted(s) };
}
