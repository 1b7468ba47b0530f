"""OpenCV's ``cv2.kmeans`` as a conformance candidate (float32).

OpenCV cannot start from given centroids, only from given labels
(``KMEANS_USE_INITIAL_LABELS``), and its first step is an update.  So the
adapter makes the first assignment itself, in float32 like OpenCV's own,
with the lowest index on a tie, and hands the labels over with
``criteria = (MAX_ITER + EPS, max_iter, 0)``.  Then OpenCV:

* computes in float32 (declared: ``--tolerance float32``);
* clamps the iteration count to 2..100, so ``max_iter`` 0 and 1 run 2;
* refills an empty cluster with the farthest point of the biggest cluster;
* does not reassign after its last update, so when ``max_iter`` stops a run
  the labels belong to the previous centroids (KM-STOP-3).

It returns no trace: it is certified on its final state.
"""

from __future__ import annotations

import numpy as np


def kmeans(pixels, init, max_iter):
    """``cv2.kmeans`` from the labels of the given centroids."""
    import cv2

    data = np.asarray(pixels, dtype=np.float32)
    start = np.asarray(init, dtype=np.float32)
    distances = ((data[:, None, :] - start[None, :, :]) ** 2).sum(axis=2, dtype=np.float32)
    labels = np.argmin(distances, axis=1).astype(np.int32).reshape(-1, 1)
    criteria = (cv2.TERM_CRITERIA_MAX_ITER + cv2.TERM_CRITERIA_EPS, int(max_iter), 0.0)
    _, labels, centers = cv2.kmeans(data, len(start), labels, criteria, 1, cv2.KMEANS_USE_INITIAL_LABELS)
    return {"labels": labels.ravel().tolist(), "centroids": centers.astype(np.float64).tolist()}


kmeans.tolerance = "float32"
