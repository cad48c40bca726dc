"""`python -m drafting.cli`: the same as the `huashu` console script."""

import sys

from drafting.cli import main

sys.exit(main())
