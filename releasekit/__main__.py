"""`python -m releasekit` runs the command line."""

import sys

from releasekit.cli import main

sys.exit(main())
