"""refkmeans-colour: perceptual colour-difference metrics for refkmeans.

=========================  ==================================================
``CIE76``, ``CIEDE2000``    the metrics, registered as ``cie76``, ``ciede2000``
``srgb_to_lab(rgb)``        8-bit sRGB to CIELAB (D65), pinned constants
``ciede2000(lab1, lab2)``   ΔE00 of two CIELAB colours (Sharma et al. 2005)
=========================  ==================================================
"""

from __future__ import annotations

from .ciede2000 import ciede2000
from .lab import srgb_to_lab
from .metrics import CIE76, CIEDE2000, refkmeans_register_metrics

__version__ = "0.1.0"

__all__ = ["CIE76", "CIEDE2000", "__version__", "ciede2000", "refkmeans_register_metrics", "srgb_to_lab"]
