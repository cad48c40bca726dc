"""`python -m drafting.cli`: the same as the `huashu` console script."""

import sys

from drafting.cli import main

if __name__ == "__main__":
    sys.exit(main())
