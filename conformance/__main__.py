"""``python -m conformance PATH...``: the ``litmus conform`` verb on its own."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
