import { VigilError } from '@vigil/core';

/** Stable codes of `@vigil/supervisor`. */
export const SUPERVISOR_ERROR_CODES = {
  /** `start()` called twice, or after `stop()`. */
  STATE: 'VIGIL_SUPERVISOR_STATE',
  /** No free loopback port could be allocated. */
  PORTS: 'VIGIL_SUPERVISOR_PORTS',
  /** The agent process could not be spawned (executable missing, fork failed). */
  SPAWN_FAILED: 'VIGIL_SUPERVISOR_SPAWN_FAILED',
  /** A replica did not become ready within the start deadline. */
  START_TIMEOUT: 'VIGIL_SUPERVISOR_START_TIMEOUT',
  /** The liveness probe failed repeatedly: the replica was killed. */
  LIVENESS_FAILED: 'VIGIL_SUPERVISOR_LIVENESS_FAILED',
  /** The replica's resident memory exceeded `resources.memory`: the replica was killed. */
  MEMORY_EXCEEDED: 'VIGIL_SUPERVISOR_MEMORY_EXCEEDED',
  /** Too many restarts within the crash-loop window: the replica is `failed`. */
  CRASH_LOOP: 'VIGIL_SUPERVISOR_CRASH_LOOP',
  /** The process exited (non-zero code or a signal). */
  EXITED: 'VIGIL_SUPERVISOR_EXITED',
  /** No such agent or replica, or it is not running. */
  NOT_RUNNING: 'VIGIL_SUPERVISOR_NOT_RUNNING',
  /** An IPC request to an agent got no answer in time. */
  IPC_TIMEOUT: 'VIGIL_SUPERVISOR_IPC_TIMEOUT',
  /** The supervisor's lifecycle audit chain cannot be opened or written. */
  AUDIT: 'VIGIL_SUPERVISOR_AUDIT',
  /** The container runtime is unusable: podman missing or failing, the image not built, no network. */
  CONTAINER_RUNTIME: 'VIGIL_SUPERVISOR_CONTAINER_RUNTIME',
  /** `status.json` is missing or unreadable (no supervisor ran in this state directory). */
  NO_STATUS: 'VIGIL_SUPERVISOR_NO_STATUS',
} as const;

/** The one error class of `@vigil/supervisor`; `code` is one of {@link SUPERVISOR_ERROR_CODES}. */
export class SupervisorError extends VigilError {}
