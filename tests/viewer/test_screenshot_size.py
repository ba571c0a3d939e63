"""The screenshot tool under plain offscreen Qt gives its screen the window's size: Qt's own
offscreen screen is 800 x 800, which cut a ``--size 1400x900`` window to 796 x 796 without a
word (a docs-as-written walk-through)."""

import os
import subprocess
import sys

from tests.conftest import HANG_S

_PROBE = (
    "from forensic_viewer.gui.screenshot import _new_app\n"
    "app = _new_app(1500, 1000)\n"
    "g = app.primaryScreen().geometry()\n"
    "import os\n"
    "print(g.width(), g.height(), os.environ['QT_QPA_PLATFORM'])\n"
)


def test_the_offscreen_screen_takes_the_requested_size():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("DISPLAY", None)
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=HANG_S
    )
    assert done.returncode == 0, done.stderr
    # the screen is the window's size, and the platform name is given back as it was
    assert done.stdout.split() == ["1500", "1000", "offscreen"]
