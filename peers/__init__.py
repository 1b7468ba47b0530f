"""Adapters that put other k-means implementations to the conformance test.

They live outside the ``refkmeans`` package on purpose: the core depends on
nothing but pluggy, while these import numpy, scikit-learn, SciPy and OpenCV
(all in the ``test`` extra).  Each adapter is a function with the candidate
interface ``f(pixels, init, max_iter) -> {"labels", "centroids"[, "trace"]}``
and can be run on its own::

    refkmeans conform --impl peers.sklearn_kmeans:lloyd

``python -m peers docs/peers.md`` runs them all and writes the verdicts.
"""
