"""scikit-learn's ``KMeans`` (algorithms "lloyd" and "elkan") as conformance candidates.

Run as a user would: ``KMeans(n_clusters=k, init=start, n_init=1,
max_iter=max_iter, tol=0)`` on float64 pixels.  ``tol=0`` asks for exact
convergence, so only the algorithm itself differs from the reference:

* it mean-centres the data and computes distances as |x|^2 - 2 x.c + |c|^2,
  so rounding decides exact ties either way (acceptable when the kit can show
  the tie);
* an empty cluster is refilled with the point farthest from its centre, taken
  from another cluster (KM-EMP-1 keeps it where it was).

scikit-learn returns no trace, so these are certified on their final state.
It refuses ``max_iter = 0``; those cases are skipped.
"""

from __future__ import annotations

import warnings

import numpy as np


def _fit(pixels, init, max_iter, algorithm):
    from sklearn.cluster import KMeans

    if max_iter < 1:
        raise NotImplementedError("scikit-learn requires max_iter >= 1")
    start = np.asarray(init, dtype=np.float64)
    model = KMeans(n_clusters=len(start), init=start, n_init=1, max_iter=max_iter, tol=0.0, algorithm=algorithm)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Number of distinct clusters found smaller than n_clusters"
        model.fit(np.asarray(pixels, dtype=np.float64))
    return {"labels": model.labels_.tolist(), "centroids": model.cluster_centers_.tolist()}


def lloyd(pixels, init, max_iter):
    """``KMeans(algorithm="lloyd", tol=0, n_init=1)`` from the given centroids."""
    return _fit(pixels, init, max_iter, "lloyd")


def elkan(pixels, init, max_iter):
    """``KMeans(algorithm="elkan", tol=0, n_init=1)`` from the given centroids."""
    return _fit(pixels, init, max_iter, "elkan")


def lloyd_step(pixels, centroids):
    """One iteration of ``KMeans(algorithm="lloyd")`` from ``centroids``, for the step protocol (KM-PY-5).

    ``max_iter=1`` runs one assignment and one update (with scikit-learn's own refill of an empty
    cluster); the labels of the given centroids come from ``predict``, scikit-learn's own assignment,
    on the mean-centred data ``fit`` works on, so that exact ties are decided as ``fit`` decided them.
    """
    from sklearn.cluster import KMeans

    x = np.asarray(pixels, dtype=np.float64)
    start = np.asarray(centroids, dtype=np.float64)
    model = KMeans(n_clusters=len(start), init=start, n_init=1, max_iter=1, tol=0.0, algorithm="lloyd")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(x)
        new = model.cluster_centers_.copy()
        centre = x.mean(axis=0)
        model.cluster_centers_ = start - centre
        labels = model.predict(x - centre)
    return {"labels": labels.tolist(), "centroids": new.tolist()}
