package vigil.credit_test

import rego.v1

import data.vigil.credit.access
import data.vigil.credit.release
import data.vigil.credit.trace

grants := {"collect-kyc": ["kyc"], "collect-news": ["news"]}

test_collector_reads_its_granted_source if {
	access.allow with input as {"agent": "collect-kyc", "spiffeId": "spiffe://cm/agent/collect-kyc", "source": "kyc"}
		with data.vigil.config.grants as grants
}

test_collector_may_not_read_another_source if {
	not access.allow with input as {"agent": "collect-news", "spiffeId": "spiffe://cm/agent/collect-news", "source": "kyc"}
		with data.vigil.config.grants as grants
}

test_a_grant_is_not_borrowed_through_another_name if {
	not access.allow with input as {"agent": "collect-kyc", "spiffeId": "spiffe://cm/agent/collect-news", "source": "kyc"}
		with data.vigil.config.grants as grants
}

test_an_agent_without_grants_reads_nothing if {
	d := access.decision with input as {"agent": "drafter", "spiffeId": "spiffe://cm/agent/drafter", "source": "financials"}
		with data.vigil.config.grants as grants
	not d.allow
	count(d.reasons) == 1
}

test_figures_grounded_in_sources_are_traced if {
	r := trace.result with input as {"figures": [{"id": "a", "inputs": ["s1"]}, {"id": "b", "inputs": ["a", "s2"]}], "entries": ["s1", "s2"], "refs": ["a", "s2"]}
	r.traced
}

test_figure_citing_an_unread_entry_is_untraced if {
	r := trace.result with input as {"figures": [{"id": "a", "inputs": ["s1", "ghost"]}, {"id": "b", "inputs": ["a"]}], "entries": ["s1"], "refs": []}
	r.untraced == ["a", "b"]
}

test_figures_in_a_cycle_without_a_source_are_untraced if {
	r := trace.result with input as {"figures": [{"id": "a", "inputs": ["b"]}, {"id": "b", "inputs": ["a"]}], "entries": ["s1"], "refs": []}
	r.untraced == ["a", "b"]
}

test_text_citing_an_unknown_id_is_not_traced if {
	r := trace.result with input as {"figures": [{"id": "a", "inputs": ["s1"]}], "entries": ["s1"], "refs": ["a", "made-up"]}
	not r.traced
	r.unknownRefs == ["made-up"]
}

config := {"approvers": ["rm-lee"], "trustDomain": "cm"}

good := {
	"memoDigest": "sha256:aa",
	"approval": {"verified": true, "decision": "approve", "approver": "spiffe://cm/user/rm-lee", "memoDigest": "sha256:aa"},
	"trace": {"traced": true, "untraced": [], "unknownRefs": []},
	"reviews": [{"section": "summary", "passed": true}],
	"compliance": {"passed": true, "failed": []},
}

test_release_with_approval_of_this_memo if {
	release.allow with input as good with data.vigil.config as config
}

test_no_release_without_a_verified_approval if {
	d := release.decision with input as object.union(good, {"approval": object.union(good.approval, {"verified": false})})
		with data.vigil.config as config
	not d.allow
	d.reasons == ["no verified signed approval"]
}

test_no_release_of_a_memo_changed_after_approval if {
	d := release.decision with input as object.union(good, {"memoDigest": "sha256:bb"}) with data.vigil.config as config
	not d.allow
	d.reasons == ["the approval was given for a different memo digest"]
}

test_no_release_approved_by_someone_else if {
	not release.allow with input as object.union(good, {"approval": object.union(good.approval, {"approver": "spiffe://cm/user/intern"})})
		with data.vigil.config as config
}

test_no_release_with_untraced_figures if {
	not release.allow with input as object.union(good, {"trace": {"traced": false, "untraced": ["x"], "unknownRefs": []}})
		with data.vigil.config as config
}

test_no_release_after_a_failed_review_or_compliance_check if {
	not release.allow with input as object.union(good, {"reviews": [{"section": "summary", "passed": false}]})
		with data.vigil.config as config
	not release.allow with input as object.union(good, {"compliance": {"passed": false, "failed": ["kyc-current"]}})
		with data.vigil.config as config
}
