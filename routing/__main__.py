"""``python -m routing``: see :mod:`routing.cli`."""

import sys

from routing.cli import main

sys.exit(main())
