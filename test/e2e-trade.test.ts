// End-to-end trading over the EA Bridge REST transport (the cases: e2e-trade.cases.ts).
import { tradeCases } from './e2e-trade.cases.js';

tradeCases('rest');
