# Unit tests for the SOC review policy: one or more per rule, plus precedence and the
# confidence formula. Run with `vigil policy test` or
# `opa test --coverage policies/soc`.
package vigil.soc.review_test

import data.vigil.soc.review

# --- Fixtures ----------------------------------------------------------------------------

config := {
	"system": {"name": "soc", "namespace": "vigil", "trustDomain": "vigil.test"},
	"agents": {
		"remediator": {
			"spiffeId": "spiffe://vigil.test/agent/remediator",
			"role": "remediator",
			"autoExecute": ["isolate-pod", "block-ip", "delete-pod", "scale-to-zero", "revoke-sa-token"],
		},
		"analyst": {"spiffeId": "spiffe://vigil.test/agent/analyst", "role": "analyst", "autoExecute": []},
		"responder": {"spiffeId": "spiffe://vigil.test/agent/responder", "role": "remediator", "autoExecute": ["isolate-pod"]},
	},
	"escalation": {
		"confidenceThreshold": 0.7,
		"maxBlastRadius": 10,
		"alwaysEscalate": {
			"namespaces": ["kube-system"],
			"kinds": ["APIServer", "Etcd", "IngressController"],
			"labels": [{"tier": "customer-facing"}],
		},
	},
	"maxReviewRounds": 2,
	"failClosed": "deny",
	"settings": {"production": {"namespaces": ["prod"]}},
}

# A clean isolate-pod request in a non-production namespace: allowed.
base := {
	"action": {
		"type": "isolate-pod",
		"target": {"kind": "Pod", "namespace": "shop", "name": "web-1"},
		"parameters": {},
	},
	"asset": {
		"kind": "Pod", "name": "web-1", "namespace": "shop",
		"labels": {"app": "web"}, "owner": {"kind": "Deployment", "name": "web"},
	},
	"blastRadius": {"pods": 1, "replicas": 1, "users": 0},
	"analysis": {"severity": "high", "confidence": 0.9, "ruleConfidence": 0.9, "techniques": ["T1059"], "source": "model"},
	"detectorScore": 0.8,
	"requester": {"spiffeId": "spiffe://vigil.test/agent/remediator"},
	"time": "2026-11-25T18:00:00Z",
}

# `base` with the given top-level fields replaced wholesale (object.union alone would
# merge nested objects, e.g. keep the base target's namespace).
with_input(patch) := object.union(object.remove(base, [key | some key, _ in patch]), patch)

verdict_for(patch) := v if {
	v := review.verdict with input as with_input(patch) with data.vigil.config as config
}

block(params, observed) := {
	"action": {"type": "block-ip", "target": {}, "parameters": params},
	"asset": {"kind": "Network", "name": "egress", "labels": {}},
	"analysis": object.union(base.analysis, {"observedAddresses": observed}),
}

# --- Allow -------------------------------------------------------------------------------

test_allow_clean_isolate if {
	v := verdict_for({})
	v.decision == "allow"
	v.rules == ["allow.no-objection"]
	v.confidence == 0.752
	not v.mutated_action
}

# --- Settings ------------------------------------------------------------------------

test_settings_override_one_field_and_keep_defaults if {
	s := review.settings with data.vigil.config as config
	s.production.namespaces == ["prod"]
	s.production.labels == [{"environment": "production"}]
	s.blockIp.maxPrefixWidth.ipv4 == 24
}

test_settings_default_without_overrides if {
	s := review.settings with data.vigil.config as object.remove(config, ["settings"])
	s.production.namespaces == ["production", "prod"]
}

test_confidence_weights_come_from_settings if {
	cfg := object.union(config, {"settings": {"confidence": {"ruleWeight": 1, "ruleDiscount": 1}}})
	review.reviewer_confidence == 0.9 with input as base with data.vigil.config as cfg
}

# --- Confidence --------------------------------------------------------------------------

test_confidence_from_rule_evidence_and_detector if {
	review.reviewer_confidence == 0.752 with input as base with data.vigil.config as config
}

test_confidence_ignores_model_self_report if {
	sure := with_input({"analysis": object.union(base.analysis, {"confidence": 0.99})})
	unsure := with_input({"analysis": object.union(base.analysis, {"confidence": 0.01})})
	review.reviewer_confidence == 0.752 with input as sure with data.vigil.config as config
	review.reviewer_confidence == 0.752 with input as unsure with data.vigil.config as config
}

# A model that says 0.99 about an event the rules barely support cannot clear the gate.
test_model_confidence_cannot_cross_the_autonomy_gate if {
	v := verdict_for({
		"detectorScore": 0.6,
		"analysis": object.union(base.analysis, {"confidence": 0.99, "ruleConfidence": 0.5}),
	})
	v.confidence == 0.48
	v.decision == "escalate"
	v.rules == ["escalate.low-confidence"]
}

test_confidence_same_for_model_and_rule_based_sources if {
	inp := with_input({"analysis": object.union(base.analysis, {"source": "rule-based"})})
	review.reviewer_confidence == 0.752 with input as inp with data.vigil.config as config
}

test_confidence_without_rule_evidence_is_zero if {
	v := verdict_for({"analysis": object.remove(base.analysis, ["ruleConfidence"])})
	v.confidence == 0
	v.decision == "escalate"
	v.rules == ["escalate.low-confidence"]
}

# --- Deny --------------------------------------------------------------------------------

test_deny_unknown_action if {
	v := verdict_for({"action": object.union(base.action, {"type": "reboot-cluster"})})
	v.decision == "deny"
	"deny.unknown-action" in v.rules
}

test_deny_requester_not_remediator if {
	v := verdict_for({"requester": {"spiffeId": "spiffe://vigil.test/agent/analyst"}})
	v.decision == "deny"
	v.rules == ["deny.requester-not-remediator"]
}

test_requesters_come_from_settings if {
	inp := with_input({"requester": {"spiffeId": "spiffe://vigil.test/agent/responder"}})
	cfg := object.union(config, {"settings": {"requesters": ["responder"]}})
	v := review.verdict with input as inp with data.vigil.config as cfg
	v.decision == "allow"
	verdict_for({"requester": {"spiffeId": "spiffe://vigil.test/agent/responder"}}).decision == "deny"
}

test_deny_unregistered_requester if {
	v := verdict_for({"requester": {"spiffeId": "spiffe://evil.test/agent/remediator"}})
	v.rules == ["deny.requester-not-remediator"]
}

test_deny_vigil_namespace_asset if {
	v := verdict_for({
		"action": {"type": "isolate-pod", "target": {"kind": "Pod", "namespace": "vigil", "name": "reviewer-0"}, "parameters": {}},
		"asset": {"kind": "Pod", "name": "reviewer-0", "namespace": "vigil", "labels": {}},
	})
	v.decision == "deny"
	v.rules == ["deny.vigil-namespace"]
}

test_deny_vigil_namespace_target_only if {
	v := verdict_for({"action": object.union(base.action, {"target": {"kind": "Pod", "namespace": "vigil", "name": "web-1"}})})
	v.decision == "deny"
	v.rules == ["deny.target-mismatch", "deny.vigil-namespace"]
}

test_deny_target_name_mismatch if {
	v := verdict_for({"action": object.union(base.action, {"target": {"kind": "Pod", "namespace": "shop", "name": "db-0"}})})
	v.rules == ["deny.target-mismatch"]
	v.reasons == [`action targets "db-0" but the asset is "web-1"`]
}

test_deny_invalid_cidr if {
	v := verdict_for(block({"cidr": "10.0.0.300/24"}, []))
	v.decision == "deny"
	v.rules == ["deny.invalid-parameters"]
}

test_deny_block_without_range if {
	v := verdict_for(block({}, []))
	v.rules == ["deny.invalid-parameters"]
	v.reasons == ["block-ip names no range (parameters.cidr or parameters.cidrs)"]
}

test_deny_missing_namespace if {
	v := verdict_for({
		"action": {"type": "revoke-sa-token", "target": {"name": "web-1"}, "parameters": {}},
	})
	v.rules == ["deny.invalid-parameters"]
}

test_deny_range_too_wide_ipv4 if {
	v := verdict_for(block({"cidr": "0.0.0.0/0"}, ["0.1.2.3"]))
	v.decision == "deny"
	v.rules == ["deny.range-too-wide"]
}

test_deny_range_too_wide_ipv6 if {
	v := verdict_for(block({"cidr": "2001:db8::/8"}, []))
	v.rules == ["deny.range-too-wide"]
}

# --- Escalate ----------------------------------------------------------------------------

test_escalate_low_confidence if {
	v := verdict_for({"detectorScore": 0.1, "analysis": object.union(base.analysis, {"ruleConfidence": 0.5})})
	v.decision == "escalate"
	v.rules == ["escalate.low-confidence"]
	v.confidence == 0.28
}

test_escalate_protected_namespace if {
	v := verdict_for({
		"action": {"type": "isolate-pod", "target": {"kind": "Pod", "namespace": "kube-system", "name": "coredns-1"}, "parameters": {}},
		"asset": {"kind": "Pod", "name": "coredns-1", "namespace": "kube-system", "labels": {}},
	})
	v.decision == "escalate"
	v.rules == ["escalate.protected-namespace"]
}

test_escalate_protected_kind if {
	v := verdict_for({"asset": object.union(base.asset, {"kind": "Etcd"})})
	v.rules == ["escalate.protected-kind"]
}

test_escalate_protected_owner_kind if {
	v := verdict_for({"asset": object.union(base.asset, {"owner": {"kind": "IngressController", "name": "nginx"}})})
	v.rules == ["escalate.protected-kind"]
	v.reasons == [`asset owner kind "IngressController" is on the always-escalate list`]
}

test_escalate_protected_label if {
	v := verdict_for({"asset": object.union(base.asset, {"labels": {"tier": "customer-facing", "app": "web"}})})
	v.rules == ["escalate.protected-label"]
	v.reasons == [`asset labels match the always-escalate selector {"tier":"customer-facing"}`]
}

test_label_selector_needs_every_pair if {
	not review.labels_match({"tier": "customer-facing", "app": "shop"}, {"tier": "customer-facing"})
	review.labels_match({"tier": "customer-facing"}, {"tier": "customer-facing", "x": "y"})
	not review.labels_match({}, {"tier": "customer-facing"})
}

test_escalate_blast_radius if {
	v := verdict_for({"blastRadius": {"pods": 4, "replicas": 9, "users": 2}})
	v.rules == ["escalate.blast-radius"]
	v.reasons == ["blast radius 11 exceeds the maximum 10"]
}

test_blast_radius_at_maximum_is_allowed if {
	verdict_for({"blastRadius": {"pods": 10, "replicas": 3, "users": 0}}).decision == "allow"
}

test_escalate_not_autonomous if {
	v := verdict_for({
		"action": {"type": "cordon-node", "target": {"kind": "Node", "name": "node-1"}, "parameters": {}},
		"asset": {"kind": "Node", "name": "node-1", "labels": {}},
	})
	v.decision == "escalate"
	v.rules == ["escalate.not-autonomous"]
}

test_escalate_wide_block_without_observed_addresses if {
	v := verdict_for(block({"cidr": "203.0.113.0/20"}, ["198.51.100.7"]))
	v.decision == "escalate"
	v.rules == ["escalate.no-observed-addresses"]
}

test_escalate_scale_to_zero_without_affected_pods if {
	v := verdict_for({
		"action": {"type": "scale-to-zero", "target": {"kind": "Deployment", "namespace": "shop", "name": "web"}, "parameters": {}},
		"asset": {"kind": "Deployment", "name": "web", "namespace": "shop", "labels": {}, "replicas": 3},
		"blastRadius": {"pods": 3, "replicas": 3, "users": 0},
	})
	v.rules == ["escalate.no-affected-pods"]
}

test_escalate_collects_every_reason_sorted if {
	v := verdict_for({
		"asset": object.union(base.asset, {"kind": "Etcd", "labels": {"tier": "customer-facing"}}),
		"detectorScore": 0,
	})
	v.rules == ["escalate.low-confidence", "escalate.protected-kind", "escalate.protected-label"]
	count(v.reasons) == 3
}

# --- Mutate ------------------------------------------------------------------------------

delete_in_prod := {
	"action": {"type": "delete-pod", "target": {"namespace": "prod", "pod": "api-7"}, "parameters": {"gracePeriodSeconds": 0}},
	"asset": {"kind": "Pod", "name": "api-7", "namespace": "prod", "labels": {}},
}

test_mutate_delete_pod_in_production_namespace if {
	v := verdict_for(delete_in_prod)
	v.decision == "mutate"
	v.rules == ["mutate.delete-pod-to-isolate"]
	v.mutated_action == {
		"type": "isolate-pod",
		"target": {"namespace": "prod", "pod": "api-7"},
		"parameters": {},
	}
}

test_mutate_delete_pod_with_production_label if {
	v := verdict_for({
		"action": {"type": "delete-pod", "target": {"kind": "Pod", "namespace": "shop", "name": "web-1"}, "parameters": {}},
		"asset": object.union(base.asset, {"labels": {"environment": "production"}}),
	})
	v.rules == ["mutate.delete-pod-to-isolate"]
}

test_not_autonomous_action_is_rewritten_before_escalating if {
	cfg := json.patch(config, [{"op": "replace", "path": "/agents/remediator/autoExecute", "value": ["isolate-pod"]}])
	v := review.verdict with input as with_input(delete_in_prod) with data.vigil.config as cfg
	v.decision == "mutate"
	v.rules == ["mutate.delete-pod-to-isolate"]
	outside := review.verdict with input as base with data.vigil.config as cfg
	outside.decision == "allow"
}

test_delete_pod_outside_production_is_allowed if {
	v := verdict_for({"action": {"type": "delete-pod", "target": base.action.target, "parameters": {}}})
	v.decision == "allow"
}

test_mutate_wide_block_to_the_observed_host if {
	v := verdict_for(block(
		{"cidr": "203.0.113.0/16", "reason": "c2"},
		["203.0.113.9", "198.51.100.7", "not-an-ip"],
	))
	v.decision == "mutate"
	v.rules == ["mutate.narrow-block"]
	v.reasons == ["block of 203.0.113.0/16 becomes a block of the observed address 203.0.113.9/32"]
	v.mutated_action.parameters == {"cidr": "203.0.113.9/32", "reason": "c2"}
}

test_wide_block_with_several_observed_hosts_escalates if {
	v := verdict_for(block({"cidr": "203.0.113.0/16"}, ["203.0.113.9", "203.0.7.1"]))
	v.decision == "escalate"
	v.rules == ["escalate.ambiguous-narrowing"]
	v.reasons == ["block-ip of 203.0.113.0/16 is wider than allowed and cannot be narrowed to one observed address (2 inside)"]
}

test_wide_range_among_several_ranges_escalates if {
	v := verdict_for(block({"cidrs": ["198.51.100.0/24", "10.1.0.0/16"]}, ["10.1.2.3"]))
	v.rules == ["escalate.ambiguous-narrowing"]
}

test_mutate_wide_ipv6_block if {
	v := verdict_for(block({"cidr": "2001:db8::/32"}, ["2001:db8::7"]))
	v.mutated_action.parameters.cidr == "2001:db8::7/128"
}

test_narrow_block_is_allowed if {
	verdict_for(block({"cidr": "203.0.113.0/24"}, [])).decision == "allow"
	verdict_for(block({"cidrs": ["203.0.113.9/32"]}, [])).decision == "allow"
}

scale_web := {
	"action": {"type": "scale-to-zero", "target": {"kind": "Deployment", "namespace": "shop", "name": "web"}, "parameters": {}},
	"asset": {"kind": "Deployment", "name": "web", "namespace": "shop", "labels": {}, "replicas": 3},
	"blastRadius": {"pods": 3, "replicas": 3, "users": 0},
	"analysis": object.union(base.analysis, {"affectedPods": ["web-b"]}),
}

test_mutate_scale_to_zero_of_multi_replica_workload if {
	v := verdict_for(scale_web)
	v.decision == "mutate"
	v.rules == ["mutate.scale-to-zero-to-isolate"]
	v.mutated_action == {
		"type": "isolate-pod",
		"target": {"namespace": "shop", "pod": "web-b"},
		"parameters": {},
	}
}

# Observed: the finding's pod arrives as "namespace/name"; the rewrite names the pod alone.
test_scale_to_zero_rewrite_names_the_pod_without_its_namespace if {
	v := verdict_for(object.union(scale_web, {"analysis": object.union(base.analysis, {"affectedPods": ["shop/web-b"]})}))
	v.decision == "mutate"
	v.mutated_action.target == {"namespace": "shop", "pod": "web-b"}
}

test_scale_to_zero_ignores_affected_pods_of_another_namespace if {
	v := verdict_for(object.union(scale_web, {"analysis": object.union(base.analysis, {"affectedPods": ["default/web-b"]})}))
	v.decision == "escalate"
	v.rules == ["escalate.no-affected-pods"]
}

test_scale_to_zero_with_several_affected_pods_escalates if {
	v := verdict_for(object.union(scale_web, {"analysis": object.union(base.analysis, {"affectedPods": ["web-b", "web-a"]})}))
	v.decision == "escalate"
	v.rules == ["escalate.several-affected-pods"]
}

test_pod_target_must_match_the_asset if {
	v := verdict_for(object.union(delete_in_prod, {"action": object.union(delete_in_prod.action, {"target": {"namespace": "prod", "pod": "other"}})}))
	v.decision == "deny"
	v.rules == ["deny.target-mismatch"]
}

test_scale_to_zero_replicas_from_blast_radius_when_inventory_has_none if {
	v := verdict_for(object.union(object.remove(scale_web, ["asset"]), {"asset": object.remove(scale_web.asset, ["replicas"])}))
	v.decision == "mutate"
}

test_scale_to_zero_of_single_replica_is_allowed if {
	v := verdict_for(object.union(scale_web, {
		"asset": object.union(scale_web.asset, {"replicas": 1}),
		"blastRadius": {"pods": 1, "replicas": 1, "users": 0},
	}))
	v.decision == "allow"
}

# --- Precedence --------------------------------------------------------------------------

test_deny_beats_escalate if {
	v := verdict_for({
		"requester": {"spiffeId": "spiffe://vigil.test/agent/analyst"},
		"detectorScore": 0,
	})
	v.decision == "deny"
	v.rules == ["deny.requester-not-remediator"]
}

test_escalate_beats_mutate if {
	v := verdict_for(object.union(delete_in_prod, {"blastRadius": {"pods": 50, "replicas": 1, "users": 0}}))
	v.decision == "escalate"
	v.rules == ["escalate.blast-radius"]
	not v.mutated_action
}

test_deny_beats_mutate if {
	v := verdict_for(block({"cidrs": ["10.0.0.0/16", "bad"]}, ["10.0.0.1"]))
	v.decision == "deny"
	v.rules == ["deny.invalid-parameters"]
}
