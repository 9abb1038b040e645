"""``python -m sim run SCENARIO.yaml`` (what ``make demo`` calls)."""

import sys

from sim.cli import main

sys.exit(main())
