/** The identities that act on the demo estate, as the apiserver records them. */
import type { Actor } from './records.js';
import type { Estate, NodeSpec, PodSpec } from './estate.js';

const K8S = 'v1.30.2 (linux/amd64) kubernetes/3968350';

export function controller(estate: Estate, name: string): Actor {
  return {
    username: `system:serviceaccount:kube-system:${name}`,
    groups: [
      'system:serviceaccounts',
      'system:serviceaccounts:kube-system',
      'system:authenticated',
    ],
    userAgent: `kube-controller-manager/${K8S}/system:serviceaccount:kube-system:${name}`,
    sourceIp: cp(estate).ip,
  };
}

export function controllerManager(estate: Estate): Actor {
  return {
    username: 'system:kube-controller-manager',
    groups: ['system:authenticated'],
    userAgent: `kube-controller-manager/${K8S}/leader-election`,
    sourceIp: cp(estate).ip,
  };
}

export function scheduler(estate: Estate): Actor {
  return {
    username: 'system:kube-scheduler',
    groups: ['system:authenticated'],
    userAgent: `kube-scheduler/${K8S}/scheduler`,
    sourceIp: cp(estate).ip,
  };
}

export function kubelet(node: NodeSpec): Actor {
  return {
    username: `system:node:${node.name}`,
    groups: ['system:nodes', 'system:authenticated'],
    userAgent: `kubelet/${K8S}`,
    sourceIp: node.ip,
  };
}

/** A pod's own service account, calling from the pod. */
export function podServiceAccount(
  pod: PodSpec,
  userAgent: string,
  serviceAccount = pod.workload.serviceAccount,
): Actor {
  return {
    username: `system:serviceaccount:${pod.namespace}:${serviceAccount}`,
    groups: [
      'system:serviceaccounts',
      `system:serviceaccounts:${pod.namespace}`,
      'system:authenticated',
    ],
    userAgent,
    sourceIp: pod.ip,
  };
}

export function human(
  name: string,
  groups: readonly string[],
  sourceIp: string,
  userAgent = `kubectl/${K8S}`,
): Actor {
  return { username: name, groups, userAgent, sourceIp };
}

export function anonymous(sourceIp: string, userAgent: string): Actor {
  return { username: 'system:anonymous', groups: ['system:unauthenticated'], userAgent, sourceIp };
}

function cp(estate: Estate): NodeSpec {
  return estate.nodes.find((n) => n.controlPlane) as NodeSpec;
}
