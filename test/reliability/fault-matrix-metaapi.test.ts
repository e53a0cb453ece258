// The fault matrix over MetaApi's REST API, against the MetaApi paper bridge: every cell of the
// REST matrix with the same outcomes, and MetaApi's own faults (429s, a 404 account, -11 after
// executing, -7, -10). No cell may open one order twice (fault-matrix.ts).
import { faultMatrix } from './fault-matrix.js';

faultMatrix('metaapi');
