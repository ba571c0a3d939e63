"""``python -m forensic_viewer``: the same program as the ``forensic-viewer`` console script
(:func:`forensic_viewer.entry.main`, its signal handling included), for a venv whose scripts are
not on PATH."""

import sys

from forensic_viewer.entry import main

sys.exit(main())
