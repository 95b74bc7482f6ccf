/** The SOC's lifecycle end to end (soc-lifecycle.ts) with every agent an OS process. */
import { registerSocLifecycleTest } from './soc-lifecycle.js';

registerSocLifecycleTest('process');
