"""``python -m reports report|gate ...``: the report verbs without the main CLI."""

import sys

from reports.cli import main

sys.exit(main())
