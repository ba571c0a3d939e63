"""The Qt wing: every module that imports PySide6 or pyqtgraph lives here, and only here."""
