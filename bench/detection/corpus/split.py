#!/usr/bin/env python3
"""Assigns each corpus sample to the dev or the held-out test split, once.

    python3 bench/detection/corpus/split.py

Reads corpus.ndjson and split.tsv beside this file and writes split.tsv back. A sample
already in split.tsv keeps its split forever (the test split stays held out as the corpus
grows); a new sample is assigned within its stratum — (format, label, technique) — in the
order of the SHA-256 of its id, to the test split while that stratum's test share is below
one third, otherwise to dev. A stratum of one sample goes to dev. Nothing about a sample's
content other than its stratum takes part, so no one chooses which samples are held out.
"""
import hashlib
import json
import os
import sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus.ndjson")
SPLIT = os.path.join(HERE, "split.tsv")
TEST_SHARE = 1 / 3


def main() -> None:
    samples = [json.loads(l) for l in open(CORPUS, encoding="utf-8") if l.strip()]
    ids = [s["id"] for s in samples]
    if len(set(ids)) != len(ids):
        sys.exit("corpus.ndjson: duplicate sample ids")
    assigned: dict[str, str] = {}
    if os.path.exists(SPLIT):
        for line in open(SPLIT, encoding="utf-8"):
            if line.startswith("#") or not line.strip():
                continue
            sid, split = line.rstrip("\n").split("\t")
            assigned[sid] = split
    strata: dict[tuple, list] = defaultdict(list)
    for s in samples:
        strata[(s["format"], s["label"], s["technique"] or "-")].append(s["id"])
    for members in strata.values():
        test = sum(1 for m in members if assigned.get(m) == "test")
        total = sum(1 for m in members if m in assigned)
        new = sorted((m for m in members if m not in assigned),
                     key=lambda m: hashlib.sha256(m.encode()).hexdigest())
        for m in new:
            total += 1
            if len(members) > 1 and test < round(total * TEST_SHARE):
                assigned[m] = "test"
                test += 1
            else:
                assigned[m] = "dev"
    known = set(ids)
    with open(SPLIT, "w", encoding="utf-8") as f:
        f.write("# sample id<TAB>split (dev | test); written by split.py, never edited by hand\n")
        for sid in sorted(assigned):
            if sid in known:
                f.write(f"{sid}\t{assigned[sid]}\n")


if __name__ == "__main__":
    main()
