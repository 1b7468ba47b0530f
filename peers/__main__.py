"""``python -m peers [docs/peers.md]``: run every peer on the suite and write the verdicts."""

import sys

from .verdicts import main

sys.exit(main())
