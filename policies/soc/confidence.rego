package vigil.soc.review

# Reviewer confidence: how much the reviewer trusts that the proposed action answers a
# real incident. It blends the analysis confidence with the detector's anomaly score,
# and discounts analyses that came from the offline rule-based analyser, whose
# confidence is a fixed heuristic rather than a judgement over the evidence:
#
#   confidence = round3( w * d(source) * analysis.confidence + (1 - w) * detectorScore )
#
#   w          = settings.confidence.analysisWeight        (default 0.6)
#   d(source)  = settings.confidence.sourceDiscount[source] (default model 1.0, rule-based 0.8)
#
# Both inputs are in [0, 1], so the result is in [0, 1]. It is rounded to three decimals
# so that the wasm and server backends (and any replay) print the same number.
# Example: model analysis 0.9, detector 0.8 -> 0.6*0.9 + 0.4*0.8 = 0.86;
#          the same from the rule-based analyser -> 0.6*0.8*0.9 + 0.32 = 0.752.
reviewer_confidence := round(raw * 1000) / 1000 if {
	w := settings.confidence.analysisWeight
	d := settings.confidence.sourceDiscount[input.analysis.source]
	raw := ((w * d) * input.analysis.confidence) + ((1 - w) * input.detectorScore)
}

# An analysis source the configuration has no discount for cannot be trusted at all.
default reviewer_confidence_or_zero := 0

reviewer_confidence_or_zero := reviewer_confidence
