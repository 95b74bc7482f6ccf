package vigil.soc.review

# The verdict on one proposed action: the single entrypoint
# (`data.vigil.soc.review.verdict`) that both the wasm bundle and the OPA server serve.
#
# Precedence: deny > escalate > mutate > allow. A deny can never be overridden by a
# human; an escalation outranks a rewrite, because a rewritten action against a
# protected asset still needs a human; a rewrite happens only when nothing objects to
# the action; allow only when no rule fired at all. `reasons` and `rules` list the rules
# of the winning class only, sorted by rule id so the output is deterministic.

decision := "deny" if {
	count(deny) > 0
} else := "escalate" if {
	count(escalate) > 0
} else := "mutate" if {
	count(mutation) > 0
} else := "allow"

# The rules (id -> reason) that decided.
fired := deny if decision == "deny"

fired := escalate if decision == "escalate"

fired := {id: m.reason | some id, m in mutation} if decision == "mutate"

fired := {"allow.no-objection": "no deny, escalate or mutate rule applies"} if decision == "allow"

rule_ids := sort([id | some id, _ in fired])

verdict := object.union(
	{
		"decision": decision,
		"reasons": [fired[id] | some id in rule_ids],
		"rules": rule_ids,
		"confidence": reviewer_confidence_or_zero,
	},
	mutated_action,
)

# The rewritten action, present only on a mutate verdict.
default mutated_action := {}

mutated_action := {"mutated_action": m.action} if {
	decision == "mutate"
	some m in mutation
}
