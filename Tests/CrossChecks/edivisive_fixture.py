#!/usr/bin/env python3
"""Writes Tests/CrossChecks/edivisive.json: noisy series and the change points that MongoDB's reference
e-divisive (PyPI signal-processing-algorithms, energy_statistics.e_divisive) finds in them at Mailstorm's default
significance. A series is kept only when five runs of the reference with different permutation seeds agree, so
the answer does not hang on the permutations. Usage: pip install --no-deps signal-processing-algorithms
more-itertools structlog; python3 Tests/CrossChecks/edivisive_fixture.py"""
import json, os
import numpy as np
from signal_processing_algorithms.energy_statistics.energy_statistics import e_divisive

PVALUE, PERMUTATIONS = 0.01, 499
rng = np.random.default_rng(2026)


def normal(level, sd, n):
    return list(rng.normal(level, sd, n))


def latency(level, n):  # log-normal, like a run's p95 night after night
    return list(level * np.exp(rng.normal(0, 0.08, n)))


series = {
    "no change, gaussian": normal(10, 1, 40),
    "no change, log-normal": latency(8, 50),
    "no change, one outlier": normal(10, 1, 20) + [16] + normal(10, 1, 19),
    "step of 1 sd": normal(10, 1, 25) + normal(11, 1, 25),
    "step of 2 sd": normal(10, 1, 20) + normal(12, 1, 20),
    "step of 3 sd": normal(10, 1, 15) + normal(13, 1, 15),
    "step of 10% on log-normal": latency(8, 30) + latency(8.8, 30),
    "step of 25% on log-normal": latency(8, 20) + latency(10, 20),
    "two steps": normal(10, 1, 20) + normal(13, 1, 20) + normal(10.5, 1, 20),
    "up then back": latency(8, 15) + latency(11, 10) + latency(8, 15),
    "short tail change": normal(10, 1, 30) + normal(14, 1, 6),
    "gradual drift": [10 + 0.1 * i + rng.normal(0, 1) for i in range(40)],
}

cases = []
for name, s in series.items():
    answers = []
    for seed in range(5):
        np.random.seed(seed)
        answers.append(sorted(int(i) for i in e_divisive(s, pvalue=PVALUE, permutations=PERMUTATIONS)))
    stable = all(a == answers[0] for a in answers)
    print(f"{name:28} {answers[0]} {'stable' if stable else 'UNSTABLE ' + str(answers)}")
    if stable:
        cases.append({"name": name, "series": [round(float(v), 6) for v in s], "change_points": answers[0]})

out = os.path.join(os.path.dirname(__file__), "edivisive.json")
json.dump({"source": "signal-processing-algorithms e_divisive", "pvalue": PVALUE, "permutations": PERMUTATIONS, "cases": cases},
          open(out, "w"), indent=1)
print(f"{len(cases)} cases -> {os.path.normpath(out)}")
