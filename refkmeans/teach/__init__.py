"""Teaching: watch k-means work, step by step, in pictures, in pure Python.

Every tool here reads a run's trace (``refkmeans.trace``, KM-TRACE-*),
never the engine's insides.

==========================  ==================================================
``explain``                 a narrated walk through the first iterations
``animate``                 a GIF per run: the image repainted beside a scatter
``svg``                     palette swatches, inertia per iteration, the elbow
``compare``                 a before/after picture
``elbow``                   inertia against k
``jupyter``                 what Results, Images and Quantized show in Jupyter
``notebook``                the notebook's own loop, bugs and all, in pure Python
``pictures``                regenerates the pictures in docs/
``raster``, ``png``         a small canvas with a 3x5 font; a PNG writer
``sample``, ``projection``  deterministic thinning; colour space onto a plane
==========================  ==================================================

Nothing here needs matplotlib, numpy or Jupyter.  Modules are imported on
use, so ``import refkmeans`` stays light.
"""
