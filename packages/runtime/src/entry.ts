/**
 * The script the supervisor runs for every agent replica
 * (`node --import tsx <this file>` with the `VIGIL_*` environment).
 */
import { runAgentProcess } from './process-main.js';

await runAgentProcess().catch(() => {
  // runAgentProcess has logged the error, told the supervisor and set the exit code.
});
