# Every figure in a memo traces to a source entry.
#
# input: { figures: [{id, inputs: [id…]}], entries: [id…], refs: [id…] }
#   figures  the memo's computed figures and what each was computed from
#   entries  ids of the source entries the collectors read for this memo
#   refs     every figure or entry id the memo's text cites
# A figure is traced when everything it (transitively) depends on is either a figure of
# the memo or a source entry, and at least one source entry is among them: a figure
# computed only from other figures in a cycle, or from an id nobody read, is untraced.
package vigil.credit.trace

import rego.v1

sources := {id | some id in input.entries}

figure_ids := {f.id | some f in input.figures}

deps[f.id] := {i | some i in f.inputs} if some f in input.figures

# graph.reachable only reports nodes that are keys of the graph: leaves get no edges.
leaves := {i | some f in input.figures; some i in f.inputs; not figure_ids[i]}

deps[i] := set() if some i in leaves

reach(id) := graph.reachable(deps, {id})

dangling(id) := {n | some n in reach(id); not figure_ids[n]; not sources[n]}

grounded(id) if {
	some n in reach(id)
	sources[n]
}

untraced contains id if {
	some id in figure_ids
	count(dangling(id)) > 0
}

untraced contains id if {
	some id in figure_ids
	not grounded(id)
}

# Text citing something that is neither a figure nor an entry of this memo.
unknown_refs contains r if {
	some r in input.refs
	not figure_ids[r]
	not sources[r]
}

result := {
	"untraced": sort([id | some id in untraced]),
	"unknownRefs": sort([r | some r in unknown_refs]),
	"traced": count(untraced) + count(unknown_refs) == 0,
}
