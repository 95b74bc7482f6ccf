package vigil.soc.review

# Mutation rules: rewrite the action into a safer one in flight. The caller reviews the
# rewritten action again (at most policy.maxReviewRounds rounds, then escalate). At most
# one rule applies to one action, because each matches a different action type.

# Deleting a production pod destroys the evidence and restarts the workload elsewhere;
# isolating it contains the threat and keeps the pod for forensics.
mutation["mutate.delete-pod-to-isolate"] := {
	"reason": sprintf("delete-pod in production namespace %s becomes isolate-pod", [quote(asset.namespace)]),
	"action": {
		"type": "isolate-pod",
		"target": action.target,
		"parameters": {"pods": [action.target.name]},
	},
} if {
	action.type == "delete-pod"
	in_production
}

# A block wider than settings.blockIp.maxPrefixWidth catches bystanders; block only the
# observed addresses inside it, one host range each.
mutation["mutate.narrow-block"] := {
	"reason": sprintf("block of %s becomes blocks of the %d observed addresses", [concat(", ", sort(wide_cidrs)), count(observed_host_cidrs)]),
	"action": {
		"type": "block-ip",
		"target": action.target,
		"parameters": object.union(
			object.remove(action.parameters, ["cidr", "cidrs"]),
			{"cidrs": sort(narrow_cidrs | observed_host_cidrs)},
		),
	},
} if {
	count(wide_cidrs) > 0
	count(observed_host_cidrs) > 0
}

# Scaling a multi-replica workload to zero takes the whole service down; isolate the
# affected pods instead and let the healthy replicas serve.
mutation["mutate.scale-to-zero-to-isolate"] := {
	"reason": sprintf("scale-to-zero of %d replicas becomes isolate-pod of the %d affected pods", [workload_replicas, count(affected_pods)]),
	"action": {
		"type": "isolate-pod",
		"target": action.target,
		"parameters": {"pods": sort(affected_pods)},
	},
} if {
	action.type == "scale-to-zero"
	workload_replicas > 1
	count(affected_pods) > 0
}
