"""Fuzzing every decoder: valid-sample generators, mutators, the oracle, the runners.

* :mod:`fuzz.mutators`: byte-level mutations that any format suffers
  (bit flips, truncation, huge numbers, wrong lengths...).
* :mod:`fuzz.netpbm_samples`: valid Netpbm files and Netpbm-aware mutations.
* :mod:`fuzz.targets`: the list of decoders (one line each) and
  :func:`fuzz.targets.check_decode`, the only outcomes a decoder may have.
* ``run.py``: a command-line runner, coverage-guided with atheris when it is
  installed, a seeded random-mutation loop otherwise.
"""
