/**
 * `@vigil/supervisor`: the local process supervisor behind `vigil up`. Every agent
 * replica of the declaration runs as its own Node.js process (`@vigil/runtime`'s entry
 * script) with a V8 heap limit from `resources.memory`, an RLIMIT_DATA backstop where
 * `prlimit` exists, and a resident-memory watchdog (warn or kill). Callees start first;
 * dependents wait for their readiness. Liveness probes kill stuck agents; the restart
 * policy restarts them with exponential back-off and jitter; a crash loop (or a
 * configuration error) marks them `failed`. Certificates are renewed on a timer and
 * hot-reloaded over IPC. The state of every replica is written atomically to
 * `<stateDir>/run/status.json` (read by `vigil status`).
 *
 * @example
 * ```ts
 * import { loadAgentSystem } from '@vigil/registry';
 * import { createSupervisor } from '@vigil/supervisor';
 * const system = await loadAgentSystem('/abs/vigil.yaml');
 * const supervisor = createSupervisor({ system, configPath: '/abs/vigil.yaml', stateDir: '/abs/.vigil' });
 * supervisor.on('event', (e) => console.log(e));
 * await supervisor.start();          // every agent ready or failed
 * process.once('SIGINT', () => void supervisor.stop());
 * ```
 */
export {
  createSupervisor,
  Supervisor,
  type ProbeOptions,
  type SupervisorEvent,
  type SupervisorOptions,
} from './supervisor.js';
export { SupervisorError, SUPERVISOR_ERROR_CODES } from './errors.js';
export { backoffDelay, recordRestart } from './backoff.js';
export {
  decideExit,
  exitError,
  isCleanExit,
  type ExitContext,
  type ExitDecision,
  type ExitError,
  type ExitEvent,
  type NextHistory,
  type RestartHistory,
} from './exit-decision.js';
export { startGates, startWaves } from './start-order.js';
export { allocateLoopbackPorts } from './ports.js';
export { probe, type ProbeResult } from './probe.js';
export {
  agentCommand,
  DEFAULT_AGENT_V8_FLAGS,
  findPrlimit,
  planMemory,
  residentBytes,
  tsxLoaderUrl,
  type AgentCommand,
  type MemoryOptions,
  type MemoryPlan,
} from './launch.js';
export {
  createProcessLauncher,
  type AgentLauncher,
  type LaunchedAgent,
  type LaunchRequest,
  type Placement,
  type ProcessLauncherOptions,
} from './launcher.js';
export {
  CONTAINER_TLS_DIR,
  containerExit,
  createPodmanLauncher,
  hostAddresses,
  IMAGE_USER,
  STATE_LABEL,
  type PodmanLauncherOptions,
} from './podman-launcher.js';
export {
  endpointsPath,
  isProcessAlive,
  readSupervisorStatus,
  statusPath,
  writeJsonAtomic,
  type AgentStatus,
  type ReplicaState,
  type ReplicaStatus,
  type SupervisorState,
  type SupervisorStatus,
} from './status.js';
export { waitForEvent, waitForStatus } from './wait.js';
