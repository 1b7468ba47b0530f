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

import importlib
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .dataset import Dataset
    from .errors import EmptyClusterError, ImageError, OutputError, PluginError, RefKMeansError, UsageError
    from .files import read, write
    from .hookspecs import hookimpl
    from .image import Image
    from .kmeans import kmeans
    from .quantize import PROFILES, Quantized, quantize
    from .result import Result, Step

#: Where each public name lives.  They are imported on first use, so that the
#: command line starts (and can take Ctrl-C quietly) before the library loads.
_HOMES = {
    "Dataset": "dataset",
    "EmptyClusterError": "errors",
    "ImageError": "errors",
    "OutputError": "errors",
    "PluginError": "errors",
    "RefKMeansError": "errors",
    "UsageError": "errors",
    "read": "files",
    "write": "files",
    "hookimpl": "hookspecs",
    "Image": "image",
    "kmeans": "kmeans",
    "PROFILES": "quantize",
    "Quantized": "quantize",
    "quantize": "quantize",
    "Result": "result",
    "Step": "result",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is not None:
        value = getattr(importlib.import_module(f".{home}", __name__), name)
        globals()[name] = value
        return value
    try:  # a submodule, as ``import refkmeans`` used to bring them all
        return importlib.import_module(f".{name}", __name__)
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


def __dir__() -> list:
    return sorted(set(globals()) | set(_HOMES))


class _Package(ModuleType):
    """This package, whose functions ``kmeans`` and ``quantize`` share their modules' names."""

    def __setattr__(self, name: str, value: Any) -> None:
        # Importing the submodule refkmeans.kmeans sets the attribute ``kmeans`` to
        # it; the public name is the function, as it was when imported eagerly.
        if name in _HOMES and isinstance(value, ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


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
