// End-to-end trading over MetaApi's REST API, against the MetaApi paper bridge: the same cases as
// over REST (e2e-trade.cases.ts).
import { tradeCases } from './e2e-trade.cases.js';

tradeCases('metaapi');
