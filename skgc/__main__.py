"""``python -m skgc``: the command line (:mod:`skgc.tools.cli`)."""
import sys

from skgc.tools.cli import main

if __name__ == "__main__":
    sys.exit(main())
