/** The SOC's lifecycle end to end (soc-lifecycle.ts) with every agent in a podman container. */
import { registerSocLifecycleTest } from './soc-lifecycle.js';

registerSocLifecycleTest('podman');
