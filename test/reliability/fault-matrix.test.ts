// The fault matrix over the EA Bridge REST transport (the cells and what each must show: fault-matrix.ts).
import { faultMatrix } from './fault-matrix.js';

faultMatrix('rest');
