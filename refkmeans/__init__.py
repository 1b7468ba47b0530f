"""refkmeans: the reference k-means colour quantizer, exact and in pure Python.

=====================  ==================================================
``kmeans(pixels, ...)``  cluster integer pixels; exact centroids and labels
``quantize(image, ...)`` repaint an :class:`Image` with k colours
``read(path)``           decode an image file through the codec plugins
``write(path, image)``   encode and write a file atomically
``hookimpl``             the marker plugins decorate their hooks with
=====================  ==================================================

>>> from refkmeans import kmeans
>>> kmeans([(0, 0, 0), (2, 2, 2), (9, 9, 9)], init=[(0, 0, 0), (9, 9, 9)]).labels
[0, 0, 1]
"""

from __future__ import annotations

from .dataset import Dataset
from .errors import (
    EmptyClusterError,
    ImageError,
    OutputError,
    PluginError,
    RefKMeansError,
    UsageError,
)
from .files import read, write
from .hookspecs import hookimpl
from .image import Image
from .kmeans import kmeans
from .quantize import PROFILES, Quantized, quantize
from .result import Result, Step

__version__ = "0.1.0"

__all__ = [
    "PROFILES",
    "Dataset",
    "EmptyClusterError",
    "Image",
    "ImageError",
    "OutputError",
    "PluginError",
    "Quantized",
    "RefKMeansError",
    "Result",
    "Step",
    "UsageError",
    "__version__",
    "hookimpl",
    "kmeans",
    "quantize",
    "read",
    "write",
]
