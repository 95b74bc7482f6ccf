package vigil.soc.review

# Mutation rules: rewrite the action into a safer one in flight. The caller reviews the
# rewritten action again (at most policy.maxReviewRounds rounds, then escalate). At most
# one rule applies to one action, because each matches a different action type.
#
# A rewrite is always ONE action of the remediator's catalogue, with that action's own
# target and parameters shape (agents/remediator/src/actions/catalogue): isolate-pod
# takes a pod target {namespace, pod} and no parameters; block-ip blocks one range. When
# the safe rewrite would need several actions, a human decides instead (escalate.rego).

# Deleting a production pod destroys the evidence and restarts the workload elsewhere;
# isolating it contains the threat and keeps the pod for forensics.
mutation["mutate.delete-pod-to-isolate"] := {
	"reason": sprintf("delete-pod in production namespace %s becomes isolate-pod", [quote(asset.namespace)]),
	"action": {
		"type": "isolate-pod",
		"target": action.target,
		"parameters": {},
	},
} if {
	action.type == "delete-pod"
	in_production
}

# A block wider than settings.blockIp.maxPrefixWidth catches bystanders; when exactly one
# observed address lies inside it, block that host instead.
mutation["mutate.narrow-block"] := {
	"reason": sprintf("block of %s becomes a block of the observed address %s", [wide, host]),
	"action": {
		"type": "block-ip",
		"target": action.target,
		"parameters": object.union(object.remove(action.parameters, ["cidr", "cidrs"]), {"cidr": host}),
	},
} if {
	count(block_cidrs) == 1
	some wide in wide_cidrs
	count(observed_host_cidrs) == 1
	some host in observed_host_cidrs
}

# Scaling a multi-replica workload to zero takes the whole service down; when the analysis
# names one affected pod, isolate it instead and let the healthy replicas serve.
mutation["mutate.scale-to-zero-to-isolate"] := {
	"reason": sprintf("scale-to-zero of %d replicas becomes isolate-pod of the affected pod %s", [workload_replicas, pod]),
	"action": {
		"type": "isolate-pod",
		"target": {"namespace": asset.namespace, "pod": pod},
		"parameters": {},
	},
} if {
	action.type == "scale-to-zero"
	workload_replicas > 1
	count(affected_pods) == 1
	some pod in affected_pods
}
