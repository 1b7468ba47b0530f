"""The Python twin of kmeans.c: a float64 Lloyd for ``conform --impl``, one function per injected bug.

``correct``, ``tie_highest``, ``split_refill``, ``round_half_up``, ``round_floor`` and ``float32`` return a
trace; the same names with ``_final`` return only the final state.  ``step_*`` run one iteration from
given centroids (the step protocol, KM-PY-5).  Each bug is what a real library does: ties to the highest
index, an empty cluster refilled by splitting the largest one (Faiss), means rounded half up (a palette
rule applied too early), or float32 means.
"""

from __future__ import annotations

import math
import struct


class EmptyCluster(Exception):
    pass


def _assign(pixels, centroids, bug):
    labels = []
    for p in pixels:
        best, best_d = -1, 0.0
        for j, c in enumerate(centroids):
            d = sum((x - v) ** 2 for x, v in zip(p, c))
            if best < 0 or d < best_d or (d == best_d and bug == "tie_highest"):
                best, best_d = j, d
        labels.append(best)
    return labels


def _update(pixels, centroids, labels, bug, empty):
    k, channels = len(centroids), len(pixels[0])
    counts = [0] * k
    sums = [[0] * channels for _ in range(k)]
    for p, label in zip(pixels, labels):
        counts[label] += 1
        for c, x in enumerate(p):
            sums[label][c] += x
    new = []
    for j in range(k):
        if not counts[j]:
            new.append(list(centroids[j]))
            continue
        m = [s / counts[j] for s in sums[j]]
        if bug == "round_half_up":
            m = [math.floor(v + 0.5) for v in m]
        elif bug == "round_floor":
            m = [math.floor(v) for v in m]
        elif bug == "float32":
            m = [struct.unpack("f", struct.pack("f", v))[0] for v in m]
        new.append(m)
    empties = [j for j in range(k) if not counts[j]]
    if empties and empty == "error":
        raise EmptyCluster(empties[0])
    donor = max(range(k), key=lambda j: (counts[j], -j))
    for e in empties:
        if bug == "split_refill":  # copy the largest cluster's mean, push the two apart (Faiss)
            m = new[donor]
            new[e] = [v * (1 - 1 / 1024) if c % 2 else v * (1 + 1 / 1024) for c, v in enumerate(m)]
            new[donor] = [v * (1 + 1 / 1024) if c % 2 else v * (1 - 1 / 1024) for c, v in enumerate(m)]
    return new


def run(pixels, init, max_iter, metric="euclidean", empty="keep", bug="", trace=True):
    if metric not in ("euclidean", "sqeuclidean") or empty == "farthest":
        raise NotImplementedError("euclidean with keep or error only")
    centroids = [list(c) for c in init]
    steps = []
    for t in range(max_iter):
        labels = _assign(pixels, centroids, bug)
        steps.append({"centroids": [list(c) for c in centroids], "labels": labels})
        try:
            new = _update(pixels, centroids, labels, bug, empty)
        except EmptyCluster as exc:
            return {"error": "empty-cluster", "iteration": t, "cluster": exc.args[0]}
        same = new == centroids
        centroids = new
        if same:
            break
    out = {"labels": _assign(pixels, centroids, bug), "centroids": centroids}
    if trace:
        out["trace"] = steps
    return out


def step(pixels, centroids, metric="euclidean", empty="keep", bug=""):
    """One Lloyd iteration from ``centroids``: their labels and the centroids they give (KM-PY-5)."""
    if metric not in ("euclidean", "sqeuclidean") or empty == "farthest":
        raise NotImplementedError("euclidean with keep or error only")
    labels = _assign(pixels, centroids, bug)
    try:
        return {"labels": labels, "centroids": _update(pixels, centroids, labels, bug, empty)}
    except EmptyCluster as exc:
        return {"error": "empty-cluster", "cluster": exc.args[0]}


def _make(bug, trace):
    def candidate(pixels, init, max_iter, metric="euclidean", empty="keep"):
        return run(pixels, init, max_iter, metric, empty, bug, trace)

    return candidate


def _make_step(bug):
    def candidate(pixels, centroids, metric="euclidean", empty="keep"):
        return step(pixels, centroids, metric, empty, bug)

    return candidate


for _bug in ("correct", "tie_highest", "split_refill", "round_half_up", "round_floor", "float32"):
    globals()[_bug] = _make(_bug, True)
    globals()[_bug + "_final"] = _make(_bug, False)
    globals()["step_" + _bug] = _make_step(_bug)
