import sys

from dispatch.rail.generate import main

sys.exit(main())
