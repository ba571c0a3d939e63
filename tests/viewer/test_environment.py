"""What a scan and a report record of the environment that produced a result: enough to
reproduce it bit for bit (docs/RESULTS.md, "Reproducing a result")."""

from __future__ import annotations

from importlib import metadata
from types import SimpleNamespace

import pytest

from forensic_viewer.environment import cpu_description, environment
from forensic_viewer.report.text import environment_rows

CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz
flags\t\t: fpu sse4_2 avx avx2 fma avx512f avx512bw avx512_vnni avx512_bf16 amx_tile

processor\t: 1
model name\t: Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz
flags\t\t: fpu sse4_2 avx avx2 fma avx512f avx512bw avx512_vnni avx512_bf16 amx_tile
"""


@pytest.mark.parametrize("name", ["openvino", "facenet-pytorch", "pi-heif"])
def test_the_libraries_that_compute_or_decode_a_result_are_recorded_with_their_versions(
    name: str,
) -> None:
    """OpenVINO runs every network of the default fast path, facenet-pytorch finds the faces,
    pi-heif decodes HEIF photographs: another version of any may change a figure, so a scan's
    environment names each one's installed version (it named torch but none of these)."""
    try:
        version = metadata.version(name)
    except metadata.PackageNotFoundError:
        version = "not installed"
    assert environment()["libraries"][name] == version


def test_the_processor_and_its_vector_instructions_are_recorded() -> None:
    """OpenVINO and oneDNN pick their kernels by the vector instructions the processor has:
    the model name and those of them it has, in a fixed order, once however many cores."""
    assert cpu_description(CPUINFO) == (
        "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz; avx2 avx512f avx512_vnni avx512_bf16 amx_tile"
    )
    assert cpu_description("model name\t: Old CPU\nflags\t: fpu sse2\n") == "Old CPU; no AVX2"
    assert environment()["cpu"] == cpu_description()


def _overview(scan_env: dict) -> SimpleNamespace:
    export = {"app": "forensic-viewer", "app_version": "1", "python": "3.11", "platform": "x"}
    export |= {"cpu": "Some CPU; avx2", "libraries": {"openvino": "2026.4.1"}}
    settings = {"source": "/evidence", "environment": scan_env}
    return SimpleNamespace(export_environment=export, source=SimpleNamespace(settings=settings))


def test_a_report_names_the_processor_and_openvino_of_the_scan_and_reads_older_scans() -> None:
    scan_env = {
        "app": "forensic-viewer",
        "app_version": "1",
        "python": "3.11",
        "time": "T",
        "cpu": "AMD EPYC; avx2 avx512f",
        "libraries": {"torch": "2.14.1", "openvino": "2026.4.1"},
    }
    rows = dict(environment_rows(_overview(scan_env)))  # type: ignore[arg-type]
    assert rows["Processor"] == "Some CPU; avx2"
    assert rows["Library: openvino"] == "2026.4.1"
    assert rows["At scan time"] == (
        "forensic-viewer 1, Python 3.11, torch 2.14.1, OpenVINO 2026.4.1, AMD EPYC; avx2 avx512f, T"
    )
    # a scan written before the processor and OpenVINO were recorded
    older = {k: v for k, v in scan_env.items() if k != "cpu"} | {"libraries": {"torch": "2"}}
    rows = dict(environment_rows(_overview(older)))  # type: ignore[arg-type]
    assert rows["At scan time"] == "forensic-viewer 1, Python 3.11, torch 2, T"
