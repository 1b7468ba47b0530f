"""The engines: the reference Lloyd loop (``lloyd.py``) and the fast one (``fast.py``).

``fast.py`` gives the reference loop's answer bit for bit, over a kd-tree of
the distinct colours (``kdtree.py``) keyed by Morton codes (``morton.py``).
"""
