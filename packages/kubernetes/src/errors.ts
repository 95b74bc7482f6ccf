import { VigilError } from '@vigil/core';

/** Error codes of `@vigil/kubernetes`. `VIGIL_CONFIG_*` codes make the CLI exit 2. */
export const KUBERNETES_ERROR_CODES = {
  /** The declaration cannot be rendered as stated (e.g. a policy module name that is no ConfigMap key). */
  renderInvalid: 'VIGIL_CONFIG_K8S_RENDER',
  /** A file the render needs (policy bundle, Kyverno policies) could not be read or parsed. */
  inputUnreadable: 'VIGIL_CONFIG_K8S_INPUT',
  /** The kubeconfig could not be loaded or names no cluster. */
  kubeconfig: 'VIGIL_CONFIG_K8S_KUBECONFIG',
  /** The API server refused or failed a request (apply, diff, read). */
  apiRequest: 'VIGIL_K8S_API_REQUEST',
  /** `vigil k8s diff` found objects the apply would create or change (exit 1, as kubectl diff). */
  differences: 'VIGIL_K8S_DIFFERENCES',
} as const;

/** One code of {@link KUBERNETES_ERROR_CODES}. */
export type KubernetesErrorCode =
  (typeof KUBERNETES_ERROR_CODES)[keyof typeof KUBERNETES_ERROR_CODES];

/** The error of `@vigil/kubernetes`: a stable code, a message naming what and where. */
export class KubernetesError extends VigilError {
  constructor(
    code: KubernetesErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}
