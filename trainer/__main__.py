"""``python -m trainer``: the same program as the ``forensic-train`` console script
(:func:`trainer.cli.main`, its signal handling included), for a venv whose scripts are not on
PATH."""

import sys

from trainer.cli import main

sys.exit(main())
