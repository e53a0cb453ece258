// End-to-end: panic over MetaApi's REST API, against the MetaApi paper bridge — the same cases as
// over REST (e2e-panic.cases.ts).
import { panicCases } from './e2e-panic.cases.js';

panicCases('metaapi');
