"""The notebook's k-means, as written and with its bugs fixed.

The notebook (ahmed-kamal91, "Image Compression using K-means") runs::

    res_image = image / 255                    # thrown away by the next line
    res_image = image.reshape(m * n, 3)        # so the pixels stay uint8
    centroids = res_image[permutation[:K]]     # uint8 pixels
    for t in range(11):
        for i ...: AssignedClusters[i] = argmin(norm(res_image[i] - centroids[j]) for j)
        centroids = np.zeros((K, n))
        for k ...: centroids[k] = np.mean(res_image[AssignedClusters == k], axis=0)
    clustered_img = centroids[AssignedClusters]

``as_written`` is that loop on the case's pixels and start.  Its bugs, each of
which the conformance kit should name:

1. ``res_image[i] - centroids[j]`` subtracts two uint8 arrays on the first
   pass: 10 - 250 wraps around to 16 (KM-ASN-1; cause ``wraparound``).
2. The mean of an empty cluster is NaN (with a RuntimeWarning), and NaN then
   wins every later ``argmin`` (KM-EMP-1).
3. The labels used for the output were assigned *before* the last update
   (KM-STOP-3; cause ``stale-labels``), and there is no convergence check
   (harmless: the state stops changing).

``fixed`` is the same loop with float64 pixels, empty clusters kept where
they were, a convergence check, and a final assignment when ``max_iter``
stops the run.  Both record a trace: the centroids at the start of each
iteration and the labels assigned to them.
"""

from __future__ import annotations

import warnings

import numpy as np


def _pixel_dtype(pixels):
    """The dtype the notebook's image would have had: uint8 for 8-bit samples, else uint16."""
    return np.uint8 if max(max(p) for p in pixels) <= 255 else np.uint16


def as_written(pixels, init, max_iter):
    """The notebook's loop, bugs included (the pixels keep their integer dtype)."""
    dtype = _pixel_dtype(pixels)
    res_image = np.array(pixels, dtype=dtype)
    K = len(init)
    start = np.array(init, dtype=np.float64)
    # The notebook's first centroids are pixels, so they share the pixels' dtype.
    centroids = start.astype(dtype) if np.array_equal(start, np.round(start)) else start
    trace = []
    AssignedClusters = np.zeros(res_image.shape[0], dtype=int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the mean of an empty slice
        for t in range(max_iter):
            if t >= 2 and np.array_equal(centroids, trace[-1]["centroids"], equal_nan=True):
                # The loop is memoryless: once an iteration leaves the centroids as they were, every
                # later one repeats it exactly.  Copy it instead of recomputing (speed only).
                trace.extend(trace[-1:] * (max_iter - t))
                break
            AssignedClusters = np.zeros(res_image.shape[0], dtype=int)
            for i in range(res_image.shape[0]):
                Distances = []
                for j in range(K):
                    distance = np.linalg.norm(res_image[i] - centroids[j])
                    Distances.append(distance)
                AssignedClusters[i] = np.argmin(Distances)
            trace.append({"centroids": centroids.astype(np.float64).tolist(), "labels": AssignedClusters.tolist()})
            centroids = np.zeros((K, res_image.shape[1]))
            for k in range(K):
                data_cluster = res_image[AssignedClusters == k]
                centroids[k] = np.mean(data_cluster, axis=0)
    return {
        "labels": AssignedClusters.tolist(),
        "centroids": centroids.astype(np.float64).tolist(),
        "trace": trace,
    }


def fixed(pixels, init, max_iter):
    """The notebook's loop with its bugs fixed: float64, empty clusters kept, convergence, final labels."""
    res_image = np.array(pixels, dtype=np.float64)  # fix 1: no uint8 wraparound
    centroids = np.array(init, dtype=np.float64)
    K = len(centroids)
    trace = []

    def assign(c):
        labels = np.zeros(res_image.shape[0], dtype=int)
        for i in range(res_image.shape[0]):
            labels[i] = np.argmin([np.linalg.norm(res_image[i] - c[j]) for j in range(K)])
        return labels

    converged = False
    labels = assign(centroids)
    for _ in range(max_iter):
        labels = assign(centroids)
        trace.append({"centroids": centroids.tolist(), "labels": labels.tolist()})
        new = centroids.copy()  # fix 2: an empty cluster keeps its centroid
        for k in range(K):
            members = res_image[labels == k]
            if len(members):
                new[k] = np.mean(members, axis=0)
        if np.array_equal(new, centroids):  # fix 3: stop when nothing moves
            converged = True
            break
        centroids = new
    if not converged:
        labels = assign(centroids)  # fix 4: the labels returned belong to the centroids returned
    return {"labels": labels.tolist(), "centroids": centroids.tolist(), "trace": trace}
