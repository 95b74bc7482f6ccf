package vigil.soc.review

# Deny rules: the action must never run, whoever approves. Each rule adds
# {rule id: reason}; ids are stable and documented in docs/policy.md.

deny["deny.unknown-action"] := sprintf("action type %s is not in the SOC action vocabulary", [quote(action.type)]) if {
	not known_action
}

deny["deny.requester-not-remediator"] := sprintf("requester %s is not an agent allowed to propose actions (settings.requesters)", [quote(input.requester.spiffeId)]) if {
	not requester_is_remediator
}

# Vigil must not act on itself: a compromised or confused agent could otherwise
# isolate the reviewer or revoke the remediator's own credentials.
deny["deny.vigil-namespace"] := sprintf("target is in the Vigil namespace %s", [quote(cfg.system.namespace)]) if {
	asset.namespace == cfg.system.namespace
}

deny["deny.vigil-namespace"] := sprintf("target is in the Vigil namespace %s", [quote(cfg.system.namespace)]) if {
	action.target.namespace == cfg.system.namespace
}

# The action's own target must agree with the inventory's asset: the proposal cannot
# aim at one namespace while the reviewer assesses another.
deny["deny.target-mismatch"] := sprintf("action targets namespace %s but the asset is in %s", [quote(action.target.namespace), quote(asset.namespace)]) if {
	is_string(action.target.namespace)
	is_string(asset.namespace)
	action.target.namespace != asset.namespace
}

deny["deny.target-mismatch"] := sprintf("action targets %s but the asset is %s", [quote(action.target.name), quote(asset.name)]) if {
	is_string(action.target.name)
	action.target.name != asset.name
}

# The remediator's pod actions name their pod as `target.pod`. (A rewrite may aim at one
# pod of the workload asset, e.g. scale-to-zero → isolate-pod, so only a Pod asset is
# compared.)
deny["deny.target-mismatch"] := sprintf("action targets pod %s but the asset is %s", [quote(action.target.pod), quote(asset.name)]) if {
	asset.kind == "Pod"
	is_string(action.target.pod)
	action.target.pod != asset.name
}

deny["deny.invalid-parameters"] := sprintf("block-ip range %s is not a valid IPv4 or IPv6 CIDR", [quote(cidr)]) if {
	some cidr in block_cidrs
	not valid_cidr(cidr)
}

deny["deny.invalid-parameters"] := "block-ip names no range (parameters.cidr or parameters.cidrs)" if {
	action.type == "block-ip"
	count(block_cidrs) == 0
}

deny["deny.invalid-parameters"] := sprintf("%s needs a target namespace", [action.type]) if {
	action.type in {"isolate-pod", "scale-to-zero", "delete-pod", "revoke-sa-token"}
	not is_string(object.get(action.target, "namespace", null))
}

deny["deny.range-too-wide"] := sprintf("block-ip range %s is wider than /%d: blocking it is never a remediation", [quote(cidr), min_prefix(cidr)]) if {
	some cidr in block_cidrs
	valid_cidr(cidr)
	prefix_length(cidr) < min_prefix(cidr)
}
