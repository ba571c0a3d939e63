"""The Qt binding must survive a long session of signals emitted from Python.

PySide6-Essentials 6.12.0 dropped a reference to ``True`` on every ``Signal.emit`` from Python
and aborted the interpreter after a few thousand emits; pyproject.toml excludes it. This runs
in a child process so that a broken binding fails the test instead of killing pytest.
"""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import HANG_S

CHILD = """
import sys
from PySide6.QtCore import QCoreApplication, QObject, Signal
app = QCoreApplication([])
class Emitter(QObject):
    value = Signal(int)
e = Emitter()
e.value.connect(lambda v: None)
before = sys.getrefcount(True)
for i in range(60000):
    e.value.emit(i)
print(before - sys.getrefcount(True))
"""


def test_many_emits_from_python_keep_the_interpreter_alive() -> None:
    res = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=HANG_S
    )
    assert res.returncode == 0, res.stderr[-500:]
    assert int(res.stdout.strip()) == 0  # no reference to True lost
