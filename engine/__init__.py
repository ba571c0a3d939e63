"""The analysis engine: models, the sliding-window and fast paths, decisions, faces, classic
analyses. Pure compute: no Qt, no trainer, no viewer (the import contracts in pyproject.toml).

Importing it keeps OpenVINO's telemetry out of the process. ``import openvino`` imports its
model converter, which (openvino-telemetry 2025) counts on consent when no consent file declines:
it writes a client id and usage counts under ``~/intel`` and sends usage events to Google
Analytics whenever it can reach it. A forensic tool on an analyst's machine sends nothing and
writes nothing outside its own folders, so the package is marked missing before OpenVINO can
load it; every user of it (the converter, NNCF) falls back to its own no-op stub on ImportError.
"""

import sys

sys.modules.setdefault("openvino_telemetry", None)
