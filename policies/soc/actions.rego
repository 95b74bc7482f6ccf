# The SOC's action vocabulary and the facts about one proposed action that the
# rules share. Everything here is pure: derived from `input` and `data` only.
#
# Input (validated by @vigil/policy before it reaches OPA; see docs/policy.md):
#   input.action      {type, target: {kind?, name?, namespace?, ...}, parameters: {...}}
#   input.asset       {kind, name, namespace?, labels: {}, owner?: {kind, name}, replicas?}
#   input.blastRadius {pods, replicas, users}
#   input.analysis    {severity, confidence, ruleConfidence, techniques,
#                      source: "model" | "rule-based", observedAddresses?, affectedPods?}
#                     (confidence is the analysis' own, a model's self-report: unused here)
#   input.detectorScore  number in [0, 1]
#   input.requester   {spiffeId}
#   input.time        RFC 3339 timestamp (recorded for replay)
# Data (generated from vigil.yaml by policyDataFromSystem): data.vigil.config
package vigil.soc.review

# The policy configuration generated from vigil.yaml by policyDataFromSystem:
#   system {name, namespace, trustDomain}, agents {<name>: {spiffeId, role, autoExecute}},
#   escalation {confidenceThreshold, maxBlastRadius, alwaysEscalate}, maxReviewRounds,
#   failClosed, settings (this policy's own knobs, vigil.yaml `policy.settings`).
cfg := data.vigil.config

# This policy's knobs, with defaults; vigil.yaml `policy.settings` overrides any of them
# (object.union merges nested objects, so one field can be overridden alone).
default_settings := {
	# Namespaces and label selectors that mark an asset as production.
	"production": {"namespaces": ["production", "prod"], "labels": [{"environment": "production"}]},
	# Agents (registry names) allowed to propose actions.
	"requesters": ["remediator"],
	# The reviewer-confidence formula (confidence.rego).
	"confidence": {"ruleWeight": 0.6, "ruleDiscount": 0.8},
	# block-ip: ranges wider than maxPrefixWidth are narrowed to observed hosts; ranges
	# wider than minPrefix are denied outright.
	"blockIp": {"maxPrefixWidth": {"ipv4": 24, "ipv6": 64}, "minPrefix": {"ipv4": 8, "ipv6": 16}},
}

settings := object.union(default_settings, object.get(cfg, "settings", {}))

# The actions the SOC remediator may propose. Anything else is denied: a new kind of
# action needs a policy change (and its review) before it can ever run.
action_types := {
	"isolate-pod",
	"scale-to-zero",
	"delete-pod",
	"block-ip",
	"revoke-sa-token",
	"cordon-node",
	"disable-user",
}

action := input.action

asset := input.asset

known_action if action.type in action_types

# A string in double quotes with JSON escaping, for reasons. (`sprintf("%q")` would be
# the Go way, but the wasm SDK's sprintf has no %q; both backends must print the same.)
quote(s) := json.marshal(s)

# --- The requesting agent -------------------------------------------------------------

# The registry entry (and name) of the requesting agent, looked up by its SPIFFE ID.
requester_name := name if {
	some name, agent in cfg.agents
	agent.spiffeId == input.requester.spiffeId
}

requester_agent := cfg.agents[requester_name]

# Only these agents (by registry name) may propose actions; `settings.requesters`.
requester_is_remediator if requester_name in settings.requesters

# --- Production --------------------------------------------------------------------------

# A target is in production when its namespace is listed, or when the asset carries
# one of the production labels (all pairs of one entry must match).
in_production if asset.namespace in settings.production.namespaces

in_production if {
	some selector in settings.production.labels
	labels_match(selector, object.get(asset, "labels", {}))
}

# True when every key/value pair of `selector` is present in `labels`.
labels_match(selector, labels) if {
	count(selector) > 0
	every key, value in selector {
		labels[key] == value
	}
}

# --- Blast radius --------------------------------------------------------------------------

# Pods and replicas overlap (a replica is a pod), so the larger one counts, plus every
# user account the action touches.
blast_radius := max([input.blastRadius.pods, input.blastRadius.replicas]) + input.blastRadius.users

# --- Addresses and ranges ------------------------------------------------------------

# The ranges a block-ip action asks for: `parameters.cidr` (one) or `parameters.cidrs`.
block_cidrs contains cidr if {
	action.type == "block-ip"
	cidr := action.parameters.cidr
}

block_cidrs contains cidr if {
	action.type == "block-ip"
	some cidr in action.parameters.cidrs
}

ipv4_cidr_pattern := `^(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}/(3[0-2]|[12]?[0-9])$`

# An IPv6 range is recognised loosely (hex groups and colons); OPA's CIDR built-ins
# reject anything malformed when the range is used.
ipv6_cidr_pattern := `^[0-9a-fA-F:]*:[0-9a-fA-F:.]*/(12[0-8]|1[01][0-9]|[1-9]?[0-9])$`

is_ipv4_cidr(cidr) if regex.match(ipv4_cidr_pattern, cidr)

is_ipv6_cidr(cidr) if regex.match(ipv6_cidr_pattern, cidr)

valid_cidr(cidr) if is_ipv4_cidr(cidr)

valid_cidr(cidr) if is_ipv6_cidr(cidr)

prefix_length(cidr) := to_number(split(cidr, "/")[1])

# The widest prefix that may be blocked as asked, per address family; wider ranges are
# narrowed to the observed addresses.
max_width(cidr) := settings.blockIp.maxPrefixWidth.ipv4 if is_ipv4_cidr(cidr)

max_width(cidr) := settings.blockIp.maxPrefixWidth.ipv6 if is_ipv6_cidr(cidr)

# Ranges so wide that blocking them is never a remediation (e.g. 0.0.0.0/0).
min_prefix(cidr) := settings.blockIp.minPrefix.ipv4 if is_ipv4_cidr(cidr)

min_prefix(cidr) := settings.blockIp.minPrefix.ipv6 if is_ipv6_cidr(cidr)

too_wide(cidr) if prefix_length(cidr) < max_width(cidr)

wide_cidrs contains cidr if {
	some cidr in block_cidrs
	valid_cidr(cidr)
	too_wide(cidr)
}

# The host prefix of an address: /32 for IPv4, /128 for IPv6.
host_cidr(address) := concat("", [address, "/128"]) if contains(address, ":")

host_cidr(address) := concat("", [address, "/32"]) if not contains(address, ":")

# The observed addresses that fall inside one of the too-wide ranges, as host ranges.
observed_host_cidrs contains host if {
	some address in object.get(input.analysis, "observedAddresses", [])
	host := host_cidr(address)
	valid_cidr(host)
	some cidr in wide_cidrs
	net.cidr_contains(cidr, address)
}

# --- Workloads -----------------------------------------------------------------------------

# Replicas of the targeted workload: the inventory's count when known, else the blast radius.
workload_replicas := asset.replicas if is_number(asset.replicas)

workload_replicas := input.blastRadius.replicas if not is_number(object.get(asset, "replicas", null))

# The affected pods of the targeted workload's namespace, by name. Findings name pods
# `namespace/name` (a bare name means the asset's namespace); a pod of another namespace is
# not this workload's, and the rewrite must name the pod alone (isolate-pod's target shape).
affected_pods contains name if {
	some entry in object.get(input.analysis, "affectedPods", [])
	parts := split(entry, "/")
	name := parts[count(parts) - 1]
	name != ""
	pod_in_asset_namespace(parts)
}

pod_in_asset_namespace(parts) if count(parts) == 1

pod_in_asset_namespace(parts) if {
	count(parts) == 2
	parts[0] == asset.namespace
}
