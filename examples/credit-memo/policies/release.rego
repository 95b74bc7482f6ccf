# Nothing is released without a relationship manager's approval of exactly this memo.
#
# input: {
#   memoDigest: "sha256:…"            digest the publisher computed over the memo it holds
#   approval: { verified: bool, decision: "approve"|"reject", approver: "spiffe://…/user/<id>",
#               memoDigest: "sha256:…" }   what the signed approval binds
#   trace: { traced: bool, untraced: [...], unknownRefs: [...] }   the trace policy's answer
#   reviews: [{ section, passed }], compliance: { passed, failed: [check ids] }
# }
# data.vigil.config.approvers: user ids allowed to approve a release.
package vigil.credit.release

import rego.v1

default allow := false

approver_ok if {
	some id in data.vigil.config.approvers
	input.approval.approver == concat("/", ["spiffe:/", data.vigil.config.trustDomain, "user", id])
}

deny contains "no verified signed approval" if not input.approval.verified

deny contains "the approval rejects the release" if input.approval.decision != "approve"

deny contains sprintf("%s is not an authorised approver", [input.approval.approver]) if not approver_ok

deny contains "the approval was given for a different memo digest" if input.approval.memoDigest != input.memoDigest

deny contains sprintf("figures not traced to a source entry: %v", [input.trace.untraced]) if count(input.trace.untraced) > 0

deny contains sprintf("text cites unknown ids: %v", [input.trace.unknownRefs]) if count(input.trace.unknownRefs) > 0

deny contains sprintf("section %s failed review", [r.section]) if {
	some r in input.reviews
	not r.passed
}

deny contains sprintf("compliance checks failed: %v", [input.compliance.failed]) if not input.compliance.passed

allow if count(deny) == 0

decision := {"allow": allow, "reasons": sort([r | some r in deny])}
