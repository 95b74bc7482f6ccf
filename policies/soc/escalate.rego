package vigil.soc.review

# Escalation rules: a human decides. Every threshold and list comes from vigil.yaml
# (policy.escalation), so operators tune them in one place.

escalate["escalate.low-confidence"] := sprintf("reviewer confidence %v is below the threshold %v", [reviewer_confidence_or_zero, cfg.escalation.confidenceThreshold]) if {
	reviewer_confidence_or_zero < cfg.escalation.confidenceThreshold
}

# Control-plane and other protected namespaces (e.g. kube-system).
escalate["escalate.protected-namespace"] := sprintf("namespace %s is on the always-escalate list", [quote(asset.namespace)]) if {
	asset.namespace in cfg.escalation.alwaysEscalate.namespaces
}

# Protected kinds (e.g. the API server, etcd, ingress controllers): the asset's own kind
# or the kind of the workload that owns it.
escalate["escalate.protected-kind"] := sprintf("asset kind %s is on the always-escalate list", [quote(asset.kind)]) if {
	asset.kind in cfg.escalation.alwaysEscalate.kinds
}

escalate["escalate.protected-kind"] := sprintf("asset owner kind %s is on the always-escalate list", [quote(asset.owner.kind)]) if {
	asset.owner.kind in cfg.escalation.alwaysEscalate.kinds
}

# Protected labels (e.g. tier=customer-facing): any one selector matching is enough.
escalate["escalate.protected-label"] := sprintf("asset labels match the always-escalate selector %s", [json.marshal(selector)]) if {
	some selector in cfg.escalation.alwaysEscalate.labels
	labels_match(selector, object.get(asset, "labels", {}))
}

escalate["escalate.blast-radius"] := sprintf("blast radius %d exceeds the maximum %d", [blast_radius, cfg.escalation.maxBlastRadius]) if {
	blast_radius > cfg.escalation.maxBlastRadius
}

# The registry's autonomy list: action types the requester may run without a human.
# When a mutation rewrites the action, the rewrite is reviewed against the list in the
# next round instead (e.g. delete-pod -> isolate-pod), so this rule waits for it.
escalate["escalate.not-autonomous"] := sprintf("action type %s is not in the requester's autonomy.autoExecute list", [quote(action.type)]) if {
	known_action
	requester_is_remediator
	not action.type in requester_agent.autoExecute
	count(mutation) == 0
}

# A wide block is narrowed to the one observed address inside it; with none, or with
# several (one block-ip blocks one range), a human chooses.
escalate["escalate.no-observed-addresses"] := sprintf("block-ip range %s is wider than allowed and no observed address lies inside it", [quote(cidr)]) if {
	some cidr in wide_cidrs
	count(observed_host_cidrs) == 0
}

escalate["escalate.ambiguous-narrowing"] := sprintf("block-ip of %s is wider than allowed and cannot be narrowed to one observed address (%d inside)", [concat(", ", sort(block_cidrs)), count(observed_host_cidrs)]) if {
	count(wide_cidrs) > 0
	count(observed_host_cidrs) > 0
	not single_narrowing
}

single_narrowing if {
	count(block_cidrs) == 1
	count(observed_host_cidrs) == 1
}

# Scale-to-zero of a multi-replica workload is narrowed to isolating the one affected pod;
# when the analysis names none, or several, a human must choose.
escalate["escalate.no-affected-pods"] := sprintf("scale-to-zero of %d replicas and the analysis names no affected pods", [workload_replicas]) if {
	action.type == "scale-to-zero"
	workload_replicas > 1
	count(affected_pods) == 0
}

escalate["escalate.several-affected-pods"] := sprintf("scale-to-zero of %d replicas and the analysis names %d affected pods: isolating them takes one action each", [workload_replicas, count(affected_pods)]) if {
	action.type == "scale-to-zero"
	workload_replicas > 1
	count(affected_pods) > 1
}
