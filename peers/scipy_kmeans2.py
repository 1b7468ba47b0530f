"""SciPy's ``scipy.cluster.vq.kmeans2`` as a conformance candidate.

``kmeans2(data, start, iter=max_iter, minit="matrix", missing="warn")`` on
float64 pixels.  It keeps an empty cluster where it was (as KM-EMP-1 asks),
computes distances directly and breaks ties to the lowest index.  It runs
exactly ``iter`` iterations with no convergence test (harmless: the state
stops changing) and returns the labels of the last assignment, made *before*
the last update, so when ``max_iter`` stops a run that has not converged the
labels do not belong to the centroids returned (KM-STOP-3).

``kmeans2_steps`` calls ``kmeans2`` with ``iter=1`` once per iteration, feeding
each result back in.  ``kmeans2`` keeps no state between iterations but the
codebook, so this is the same computation, and it yields a trace that the kit
certifies step by step.
"""

from __future__ import annotations

import warnings

import numpy as np


def _kmeans2(data, start, iterations):
    from scipy.cluster.vq import kmeans2 as scipy_kmeans2

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "One of the clusters is empty. Re-run kmeans with a different ..."
        return scipy_kmeans2(data, start, iter=iterations, minit="matrix", missing="warn")


def kmeans2(pixels, init, max_iter):
    """``kmeans2(..., iter=max_iter, minit="matrix")`` from the given centroids."""
    if max_iter < 1:
        raise NotImplementedError("kmeans2 requires iter >= 1")
    centroids, labels = _kmeans2(np.asarray(pixels, dtype=np.float64), np.asarray(init, dtype=np.float64), max_iter)
    return {"labels": labels.tolist(), "centroids": centroids.tolist()}


def kmeans2_steps(pixels, init, max_iter):
    """``kmeans2`` one iteration at a time, with the trace of every iteration."""
    if max_iter < 1:
        raise NotImplementedError("kmeans2 requires iter >= 1")
    data = np.asarray(pixels, dtype=np.float64)
    code = np.asarray(init, dtype=np.float64)
    trace = []
    labels = None
    for t in range(max_iter):
        new, labels = _kmeans2(data, code, 1)
        trace.append({"centroids": code.tolist(), "labels": labels.tolist()})
        if np.array_equal(new, code):
            # Nothing moved: every later iteration repeats this one exactly (kmeans2 is memoryless).
            trace.extend(trace[-1:] * (max_iter - t - 1))
            break
        code = new
    return {"labels": labels.tolist(), "centroids": code.tolist(), "trace": trace}


def kmeans2_step(pixels, centroids):
    """``kmeans2(..., iter=1)`` from ``centroids``, for the step protocol (KM-PY-5).

    One iteration assigns the pixels to the given codebook and updates it; the labels it returns are
    that assignment, so both halves of the step are SciPy's own.
    """
    new, labels = _kmeans2(np.asarray(pixels, dtype=np.float64), np.asarray(centroids, dtype=np.float64), 1)
    return {"labels": labels.tolist(), "centroids": new.tolist()}
