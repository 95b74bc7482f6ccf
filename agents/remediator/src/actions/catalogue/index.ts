import { ActionRegistry } from '../registry.js';
import { blockIp, unblockIp } from './block-ip.js';
import { cordonNode, uncordonNode } from './cordon-node.js';
import { deletePod } from './delete-pod.js';
import { disableUser, enableUser } from './disable-user.js';
import { isolatePod, releasePod } from './isolate-pod.js';
import { revokeSaToken } from './revoke-sa-token.js';
import { scaleToZero, scaleWorkload } from './scale.js';

/** The built-in catalogue: the seven responses and the inverse types their undo builds. */
export const BUILT_IN_ACTIONS = Object.freeze([
  isolatePod,
  scaleToZero,
  deletePod,
  blockIp,
  revokeSaToken,
  cordonNode,
  disableUser,
  releasePod,
  scaleWorkload,
  unblockIp,
  uncordonNode,
  enableUser,
]);

/** A registry holding {@link BUILT_IN_ACTIONS}; `register` more on it. */
export function createDefaultRegistry(): ActionRegistry {
  const registry = new ActionRegistry();
  for (const definition of BUILT_IN_ACTIONS) registry.register(definition);
  return registry;
}
