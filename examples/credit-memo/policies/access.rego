# An agent reads only the sources it is granted.
#
# input: { agent: "<agent name>", spiffeId: "spiffe://…/agent/<name>", source: "<source>" }
# data.vigil.config.grants: { "<agent name>": ["<source>", …] }, derived from each agent's
#   `permissions.tools: [source:<name>]` in vigil.yaml (nothing else grants a source).
package vigil.credit.access

import rego.v1

default allow := false

granted contains s if some s in data.vigil.config.grants[input.agent]

# The identity must be the agent's own: a grant is never read through another name.
identity_matches if endswith(input.spiffeId, concat("/", ["", "agent", input.agent]))

allow if {
	identity_matches
	granted[input.source]
}

reasons contains sprintf("%s is not granted source %s (granted: %v)", [input.agent, input.source, sort([s | some s in granted])]) if not granted[input.source]

reasons contains sprintf("identity %s is not agent %s", [input.spiffeId, input.agent]) if not identity_matches

decision := {"allow": allow, "reasons": sort([r | some r in reasons])}
