#!/usr/bin/env python3
"""Builds corpus.ndjson, the labelled public corpus of bench/detection, from fetched
mirrors of the source repositories (see README.md). Every entry records where the record
came from (repository, commit, path, test name), its licence, the label and why.

  python3 bench/detection/corpus/build.py <falco-mirror-git-dir> <panther-mirror-git-dir>

Labels are ours, per the ATT&CK Containers matrix, not the source rule's own mapping
(recorded beside as upstreamTechniques where the source has one): `attack` (with the
technique), `lookalike` (a hard benign near-miss: the source's own negative test of a
detection, or an operation that shares the attack's verb and resource), `benign`.
"""
import json, subprocess, sys
import yaml  # PyYAML

FALCO_COMMIT = '2583ea9bfdb2d6acdfbeedb094ea26f4866bb02e'  # parent of the commit that removed test/trace_files

# Falco's k8s_audit test traces (recorded on the Falco project's minikube test cluster).
FALCO = {
    'anonymous_creates_namespace_foo.json': ('attack', 'T1078', 'an unauthenticated user (system:anonymous) creating a namespace: default/anonymous account abuse'),
    'attach_cluster_admin_role.json': ('attack', 'T1098.006', 'a ClusterRoleBinding to cluster-admin: additional cluster role'),
    'attach_pod.json': ('attack', 'T1609', 'kubectl attach into a running container: container administration command'),
    'exec_pod.json': ('attack', 'T1609', 'kubectl exec into a pod: container administration command'),
    'create_cluster_role_wildcard_resources.json': ('attack', 'T1098.006', 'a ClusterRole granting * resources'),
    'create_cluster_role_wildcard_verbs.json': ('attack', 'T1098.006', 'a ClusterRole granting * verbs'),
    'create_cluster_role_pod_exec.json': ('attack', 'T1098.006', 'a ClusterRole granting pods/exec: a standing exec path into every pod'),
    'create_nginx_pod_privileged.json': ('attack', 'T1611', 'a privileged pod: escape to host'),
    'create_nginx_pod_privileged_2nd_container.json': ('attack', 'T1611', 'a pod whose second container is privileged'),
    'create_nginx_pod_no_secctx_1st_container_privileged_2nd_container.json': ('attack', 'T1611', 'first container without securityContext, second privileged'),
    'create_nginx_pod_hostnetwork.json': ('attack', 'T1611', "a pod in the host's network namespace"),
    'create_nginx_pod_sensitive_mount.json': ('attack', 'T1611', 'a pod mounting a sensitive host path'),
    'create_nginx_pod_sensitive_mount_2nd_container.json': ('attack', 'T1611', 'a pod whose second container mounts a sensitive host path'),
    'create_pod_kube_system_namespace.json': ('attack', 'T1610', 'a pod created in kube-system by a user: deploy container where the control plane lives'),
    'create_pod_kube_public_namespace.json': ('attack', 'T1610', 'a pod created in kube-public'),
    'create_serviceaccount_kube_system_namespace.json': ('attack', 'T1136', 'a service account created in kube-system: create account for persistence'),
    'create_serviceaccount_kube_public_namespace.json': ('attack', 'T1136', 'a service account created in kube-public'),
    'delete_cluster_role_kube_aggregator.json': ('attack', 'T1098', 'a system ClusterRole (system:aggregate-to-*) deleted: tampering with built-in RBAC'),
    'modify_cluster_role_node_problem_detector.json': ('attack', 'T1098', 'a system ClusterRole modified'),
    'create_service_account_token_secret.json': ('attack', 'T1528', 'a service-account token Secret minted by hand: steal application access token'),
    'create_configmap_sensitive_values.json': ('lookalike', 'T1552', 'ConfigMaps with credential-like keys: a misconfiguration Falco flags, not an intrusion'),
    'create_cluster_role_write_privileges.json': ('lookalike', 'T1098.006', 'a ClusterRole with write verbs on ordinary resources: everyday RBAC'),
    'create_clusterrole.json': ('lookalike', 'T1098.006', 'an ordinary ClusterRole created'),
    'create_clusterrolebinding.json': ('lookalike', 'T1098.006', 'a binding to a non-admin ClusterRole'),
    'create_nginx_pod_unsensitive_mount.json': ('lookalike', 'T1611', 'a pod mounting a harmless host path'),
    'create_nginx_pod_nohostnetwork.json': ('lookalike', 'T1611', 'a pod with hostNetwork: false'),
    'create_nginx_pod_unprivileged.json': ('lookalike', 'T1611', 'an unprivileged pod'),
    'create_kube_system_secret.json': ('lookalike', 'T1552', 'a Secret created in kube-system by an admin'),
    'create_nginx_service_nodeport.json': ('lookalike', None, 'a NodePort service: exposure posture, not an intrusion'),
    'create_configmap.json': ('benign', None, 'ConfigMap created'),
    'create_configmap_no_sensitive_values.json': ('benign', None, 'ConfigMap without credentials'),
    'create_deployment.json': ('benign', None, 'Deployment created'),
    'create_nginx_service_nonodeport.json': ('benign', None, 'ClusterIP service'),
    'create_secret.json': ('benign', None, 'Secret created in an application namespace'),
    'create_service.json': ('benign', None, 'Service created'),
    'create_serviceaccount.json': ('benign', None, 'service account in an application namespace'),
    'delete_clusterrole.json': ('benign', None, 'non-system ClusterRole deleted'),
    'delete_clusterrolebinding.json': ('benign', None, 'ClusterRoleBinding deleted'),
    'delete_configmap.json': ('benign', None, 'ConfigMap deleted'),
    'delete_deployment.json': ('benign', None, 'Deployment deleted'),
    'delete_namespace_foo.json': ('benign', None, 'namespace deleted'),
    'delete_secret.json': ('benign', None, 'Secret deleted'),
    'delete_service.json': ('benign', None, 'Service deleted'),
    'delete_serviceaccount.json': ('benign', None, 'service account deleted'),
    'minikube_creates_namespace_foo.json': ('benign', None, 'the cluster admin creates a namespace'),
    'some-user_creates_namespace_foo.json': ('benign', None, 'an authenticated user creates a namespace'),
}

# Panther's detection tests (rules/*/…yml `Tests:`): positive cases are labelled attacks
# with our technique; negative cases are the rule author's own near-misses (lookalikes).
# Rules left out: posture (ingress without TLS, NodePort), thresholds over many events
# (multiple 403s: one event is not the attack), IOC lists (the indicator, not the event).
PANTHER = {
    'rules/aws_eks_rules/anonymous_api_access.yml': 'T1078',
    'rules/aws_eks_rules/system_namespace_public_ip.yml': 'T1078',
    'rules/gcp_k8s_rules/gcp_k8s_cron_job_created_or_modified.yml': 'T1053.007',
    'rules/gcp_k8s_rules/gcp_k8s_exec_into_pod.yml': 'T1609',
    'rules/gcp_k8s_rules/gcp_k8s_new_daemonset_deployed.yml': 'T1610',
    'rules/gcp_k8s_rules/gcp_k8s_pod_attached_to_node_host_network.yml': 'T1611',
    'rules/gcp_k8s_rules/gcp_k8s_pod_create_or_modify_host_path_vol_mount.yml': 'T1611',
    'rules/gcp_k8s_rules/gcp_k8s_pod_using_host_pid_namespace.yml': 'T1611',
    'rules/gcp_k8s_rules/gcp_k8s_privileged_pod_created.yml': 'T1611',
    'rules/kubernetes_rules/k8s_admission_controller_created.yml': 'T1546',
    'rules/kubernetes_rules/k8s_anonymous_api_access.yml': 'T1078',
    'rules/kubernetes_rules/k8s_client_certificate_created.yml': 'T1649',
    'rules/kubernetes_rules/k8s_clusterrolebinding_privileged.yml': 'T1098.006',
    'rules/kubernetes_rules/k8s_cronjob_created_or_modified.yml': 'T1053.007',
    'rules/kubernetes_rules/k8s_daemonset_created.yml': 'T1610',
    'rules/kubernetes_rules/k8s_exec_into_pod.yml': 'T1609',
    'rules/kubernetes_rules/k8s_kubectl_cp_operation.yml': 'T1609',
    'rules/kubernetes_rules/k8s_pod_created_in_system_namespace.yml': 'T1610',
    'rules/kubernetes_rules/k8s_pod_dangerous_capabilities.yml': 'T1611',
    'rules/kubernetes_rules/k8s_pod_host_ipc.yml': 'T1611',
    'rules/kubernetes_rules/k8s_pod_host_network.yml': 'T1611',
    'rules/kubernetes_rules/k8s_pod_host_pid.yml': 'T1611',
    'rules/kubernetes_rules/k8s_pod_hostpath_volume.yml': 'T1611',
    'rules/kubernetes_rules/k8s_privileged_pod_created.yml': 'T1611',
    'rules/kubernetes_rules/k8s_role_node_proxy_permissions.yml': 'T1098.006',
    'rules/kubernetes_rules/k8s_role_pod_exec.yml': 'T1098.006',
    'rules/kubernetes_rules/k8s_role_wildcard.yml': 'T1098.006',
    'rules/kubernetes_rules/k8s_role_write_permissions.yml': 'T1098.006',
    'rules/kubernetes_rules/k8s_secret_access_denied.yml': 'T1552.007',
    'rules/kubernetes_rules/k8s_secret_enumeration.yml': 'T1552.007',
    'rules/kubernetes_rules/k8s_secrets_dump_all_namespaces.yml': 'T1552.007',
    'rules/kubernetes_rules/k8s_serviceaccount_token_created.yml': 'T1528',
    'rules/kubernetes_rules/k8s_steal_serviceaccount_token.yml': 'T1528',
    'rules/kubernetes_rules/k8s_system_principal_public_ip.yml': 'T1078',
    'rules/kubernetes_rules/k8s_system_role_modified.yml': 'T1098',
}


def show(git_dir, commit, path):
    return subprocess.run(['git', '--git-dir', git_dir, 'show', f'{commit}:{path}'],
                          check=True, capture_output=True, text=True).stdout


def strip_panther(log):
    """Panther adds p_* fields when it parses a log; they are not part of the delivery."""
    return {k: v for k, v in log.items() if not k.startswith('p_')}


def panther_record(log):
    """The delivery the log stands for, and its format."""
    kind = log.get('p_log_type')
    rec = strip_panther(log)
    if kind == 'Amazon.EKS.Audit':
        # EKS delivers the audit event as the message of a CloudWatch Logs record; Panther's
        # test holds the inner event. Re-wrapped in the Logs Insights export envelope.
        return 'eks', {'@timestamp': rec.get('requestReceivedTimestamp', ''),
                       '@log': '123412341234:/aws/eks/panther-test/cluster',
                       '@logStream': 'kube-apiserver-audit-0', '@message': json.dumps(rec)}, True
    if kind == 'Azure.MonitorActivity' or rec.get('category') == 'kube-audit':
        return 'aks', rec, False
    if kind == 'GCP.AuditLog' or 'protoPayload' in rec:
        return 'gke', rec, False
    return 'native', rec, False


def main():
    falco_git, panther_git = sys.argv[1], sys.argv[2]
    panther_commit = subprocess.run(['git', '--git-dir', panther_git, 'rev-parse', 'HEAD'],
                                    check=True, capture_output=True, text=True).stdout.strip()
    out = []
    for name, (label, technique, why) in FALCO.items():
        path = f'test/trace_files/k8s_audit/{name}'
        for i, line in enumerate(l for l in show(falco_git, FALCO_COMMIT, path).splitlines() if l.strip()):
            out.append({'id': f'falco-trace:{name}:{i + 1}', 'format': 'native', 'label': label,
                        'technique': technique, 'estate': 'falco-project minikube test cluster (2018-2019)',
                        'origin': {'repo': 'falcosecurity/falco', 'commit': FALCO_COMMIT, 'path': path, 'line': i + 1},
                        'licence': 'Apache-2.0', 'why': why, 'record': json.loads(line)})
    for path, technique in PANTHER.items():
        doc = yaml.safe_load(show(panther_git, panther_commit, path))
        upstream = [t.split(':')[-1] for t in (doc.get('Reports') or {}).get('MITRE ATT&CK', [])]
        for test in doc.get('Tests') or []:
            log = test.get('Log')
            if not isinstance(log, dict):
                continue
            fmt, record, rewrapped = panther_record(log)
            positive = test.get('ExpectedResult') is True
            out.append({'id': f'panther:{doc.get("RuleID")}:{test.get("Name")}', 'format': fmt,
                        'label': 'attack' if positive else 'lookalike',
                        'technique': technique,
                        'upstreamTechniques': upstream,
                        'estate': f'panther-analysis test logs ({record.get("p_source_label", "") or fmt})',
                        'origin': {'repo': 'panther-labs/panther-analysis', 'commit': panther_commit,
                                   'path': path, 'test': test.get('Name'),
                                   **({'rewrapped': 'CloudWatch Logs export envelope'} if rewrapped else {})},
                        'licence': 'Apache-2.0',
                        'why': (f'positive test of {doc.get("RuleID")} ({doc.get("DisplayName")})' if positive
                                else f'negative test of {doc.get("RuleID")}: the rule author\'s near-miss'),
                        'record': record})
    sys.stdout.write(''.join(json.dumps(e, sort_keys=True) + '\n' for e in out))


if __name__ == '__main__':
    main()
