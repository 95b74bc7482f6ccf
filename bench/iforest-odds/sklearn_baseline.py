#!/usr/bin/env python3
"""scikit-learn IsolationForest baseline for bench/iforest-odds (run by main.ts).

Fits IsolationForest(n_estimators=T, max_samples=PSI, random_state=seed) on all rows of
one ODDS dataset and scores all rows, for seeds 0..N-1; measures the batch
`score_samples` time, ROC AUC = roc_auc_score(label, -score_samples), and for seed 0 the
latency of single-row `score_samples` calls. Prints one JSON object on stdout.
Single-threaded (n_jobs=None); OMP/BLAS threads are pinned to 1 by main.ts.
"""
import argparse
import gzip
import json
import resource
import sys
import time
import warnings

import numpy as np
import sklearn
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trees", type=int, default=100)
    parser.add_argument("--sample-size", type=int, default=256)
    parser.add_argument("--latency-calls", type=int, default=200)
    args = parser.parse_args()

    with gzip.open(args.data, "rt") as f:
        data = np.loadtxt(f, delimiter=",", skiprows=1, dtype=np.float64)
    X = np.ascontiguousarray(data[:, :-1])
    y = data[:, -1].astype(np.int64)
    n = X.shape[0]

    runs = []
    latencies_us = []
    warnings.simplefilter("ignore")  # max_samples > n on the small sets: sklearn uses n, as we do
    for seed in range(args.seeds):
        model = IsolationForest(
            n_estimators=args.trees, max_samples=args.sample_size, random_state=seed
        )
        t0 = time.perf_counter()
        model.fit(X)
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        c0 = time.process_time()
        scores = model.score_samples(X)
        batch_cpu_s = time.process_time() - c0
        batch_s = time.perf_counter() - t0
        auc = roc_auc_score(y, -scores)
        runs.append({"seed": seed, "auc": float(auc), "fitSeconds": fit_s, "batchSeconds": batch_s, "batchCpuSeconds": batch_cpu_s})
        if seed == 0 and args.latency_calls > 0:
            for i in range(5):  # warm-up
                model.score_samples(X[i % n : i % n + 1])
            for i in range(args.latency_calls):
                row = X[i % n : i % n + 1]
                t = time.perf_counter_ns()
                model.score_samples(row)
                latencies_us.append((time.perf_counter_ns() - t) / 1000.0)

    print(
        json.dumps(
            {
                "sklearn": sklearn.__version__,
                "numpy": np.__version__,
                "python": sys.version.split()[0],
                "rows": n,
                "cols": X.shape[1],
                "runs": runs,
                "latencyMicros": latencies_us,
                # Linux reports ru_maxrss in KiB.
                "maxRssKiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            }
        )
    )


if __name__ == "__main__":
    main()
