package vigil.soc.review

# Reviewer confidence: how much the reviewer trusts that the proposed action answers a
# real incident. It is built ONLY from evidence a language model cannot write: the
# detector's anomaly score and the confidence of the deterministic rule-based analysis of
# the same finding(s) (`analysis.ruleConfidence`, which Vigil's analyst computes from the
# event whether or not a model also analysed it). A model's self-reported
# `analysis.confidence` is advice for a human and takes no part: it cannot move an action
# across the autonomy gate in either direction.
#
#   confidence = round3( w * d * analysis.ruleConfidence + (1 - w) * detectorScore )
#
#   w = settings.confidence.ruleWeight    (default 0.6)
#   d = settings.confidence.ruleDiscount  (default 0.8: a rule's confidence is a fixed
#                                          heuristic, not a judgement over the evidence)
#
# Both inputs are in [0, 1], so the result is in [0, 1]. It is rounded to three decimals
# so that the wasm and server backends (and any replay) print the same number. An input
# without rule evidence gets 0 (and so escalates). Example: rule confidence 0.9,
# detector 0.8 -> 0.6*0.8*0.9 + 0.4*0.8 = 0.752, whatever the model said.
reviewer_confidence := round(raw * 1000) / 1000 if {
	w := settings.confidence.ruleWeight
	d := settings.confidence.ruleDiscount
	rule := input.analysis.ruleConfidence
	is_number(rule)
	raw := ((w * d) * rule) + ((1 - w) * input.detectorScore)
}

# No rule evidence, no confidence.
default reviewer_confidence_or_zero := 0

reviewer_confidence_or_zero := reviewer_confidence
