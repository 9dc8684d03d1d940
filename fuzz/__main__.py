"""``python -m fuzz VERB ...``: the fuzzer's verbs without the ``litmus``
entry point (the same parsers, :func:`fuzz.cli.add_parsers`)."""

import sys

from .cli import main

sys.exit(main())
