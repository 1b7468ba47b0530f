"""The CIEDE2000 colour difference (CIE 142-2001), as Sharma, Wu and Dalal set it out.

Reference: G. Sharma, W. Wu and E. N. Dalal, "The CIEDE2000 color-difference
formula: implementation notes, supplementary test data, and mathematical
observations", Color Research and Application 30(1), 21-30, 2005.  Their
equations (2)-(22) are followed step by step, with the parametric factors
kL = kC = kH = 1; hue angles are in degrees, in 0..360.
"""

from __future__ import annotations

import math
from typing import Sequence

_25_TO_7 = 25.0**7


def _hue(b: float, a: float) -> float:
    """Hue angle in degrees, 0..360; 0 for a neutral colour (eq. 4)."""
    if a == 0 and b == 0:
        return 0.0
    angle = math.degrees(math.atan2(b, a))
    return angle + 360 if angle < 0 else angle


def ciede2000(lab1: Sequence[float], lab2: Sequence[float]) -> float:
    """ΔE00 between two CIELAB colours.

    >>> round(ciede2000((50, 2.6772, -79.7751), (50, 0, -82.7485)), 4)
    2.0425
    """
    L1, a1, b1 = lab1
    L2, a2, b2 = lab2
    # (2)-(5): a is stretched near neutral so that greys are not over-weighted.
    c_mean = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_mean**7 / (c_mean**7 + _25_TO_7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p, h2p = _hue(b1, a1p), _hue(b2, a2p)
    # (8)-(10): differences in lightness, chroma and hue.
    dLp = L2 - L1
    dCp = c2p - c1p
    if c1p * c2p == 0:
        dhp = 0.0
    else:
        dhp = h2p - h1p
        if dhp > 180:
            dhp -= 360
        elif dhp < -180:
            dhp += 360
    dHp = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dhp / 2))
    # (12)-(21): the weighting functions at the pair's mean lightness, chroma, hue.
    Lp_mean = (L1 + L2) / 2
    cp_mean = (c1p + c2p) / 2
    if c1p * c2p == 0:
        hp_mean = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        hp_mean = (h1p + h2p) / 2
    elif h1p + h2p < 360:
        hp_mean = (h1p + h2p + 360) / 2
    else:
        hp_mean = (h1p + h2p - 360) / 2
    t = (
        1
        - 0.17 * math.cos(math.radians(hp_mean - 30))
        + 0.24 * math.cos(math.radians(2 * hp_mean))
        + 0.32 * math.cos(math.radians(3 * hp_mean + 6))
        - 0.20 * math.cos(math.radians(4 * hp_mean - 63))
    )
    d_theta = 30 * math.exp(-(((hp_mean - 275) / 25) ** 2))
    r_c = 2 * math.sqrt(cp_mean**7 / (cp_mean**7 + _25_TO_7))
    l50 = (Lp_mean - 50) ** 2
    s_l = 1 + 0.015 * l50 / math.sqrt(20 + l50)
    s_c = 1 + 0.045 * cp_mean
    s_h = 1 + 0.015 * cp_mean * t
    r_t = -math.sin(math.radians(2 * d_theta)) * r_c
    # (22)
    dl, dc, dh = dLp / s_l, dCp / s_c, dHp / s_h
    return math.sqrt(dl * dl + dc * dc + dh * dh + r_t * dc * dh)
