"""A Ray scan on a cluster of two nodes (issue 22.2): ``forensic-viewer scan --ray ADDRESS``
against ``ray.cluster_utils.Cluster``, a head raylet with 1 CPU and one added raylet with 1 CPU on this
machine. Each raylet is a node of its own to Ray (its own node id, object store and worker
processes), so the actors run on two nodes and the model's bytes travel between object stores
as they would between machines; what one machine cannot show is a second file system, so the
driver's checkpoint file is moved away once the driver has read it (no node can open it, only
the shipped bytes can build the model). Which node analysed which file is logged by the test's
recipe (``FaultyRecipe.node_log``, put in the command line's place of the plain recipe), not by
the product's rows.

Slow: two raylets and two actors importing torch take 30-90 s on the loaded 2-core machine.
"""

from __future__ import annotations

import functools
from collections import Counter
from pathlib import Path

import pytest

from forensic_viewer.cli import EXIT_FILES_FAILED, main
from tests.viewer.conftest import scan_args
from tests.viewer.scan_pool_helpers import FaultyRecipe
from tests.viewer.test_scan_pool import _folder, _same_output

NAMES = ["a.png", "b.jpg", "c.png", "d.png", "e.jpg", "f.png", "g.png"]


@pytest.mark.slow
def test_a_scan_on_two_nodes_uses_both_ships_the_model_and_writes_a_local_scans_rows(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    pytest.importorskip("ray")
    import ray
    from ray.cluster_utils import Cluster

    from forensic_viewer.scan import pool_worker, ray_pool

    assert not ray.is_initialized()  # the scan must connect to the cluster itself
    folder = _folder(tmp_path / "ev", NAMES, ("broken.png",))
    one, two = tmp_path / "one", tmp_path / "two"
    assert main(scan_args(folder, one, tiny_checkpoint, "--analyses", "ela")) == EXIT_FILES_FAILED

    hidden = tmp_path / "elsewhere" / tiny_checkpoint.name
    ship = ray_pool._RayPool._ship_models

    def ship_then_hide(self: ray_pool._RayPool) -> list:
        shipped = ship(self)
        hidden.parent.mkdir()
        tiny_checkpoint.rename(hidden)  # from now on only the object store has the model
        return shipped

    monkeypatch.setattr(ray_pool._RayPool, "_ship_models", ship_then_hide)
    nodes_log = tmp_path / "nodes.tsv"
    nodes_log.touch()
    recipe = functools.partial(FaultyRecipe, node_log=str(nodes_log), min_nodes=2)
    monkeypatch.setattr(pool_worker, "AnalyzerRecipe", recipe)  # the one the command line builds
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    try:
        added = cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        nodes = {cluster.head_node.node_id, added.node_id}
        args = ["--analyses", "ela", "--ray", cluster.address, "--jobs", "2"]
        assert main(scan_args(folder, two, tiny_checkpoint, *args)) == EXIT_FILES_FAILED
        assert not ray.is_initialized()  # the scan's connection ended with it
    finally:
        cluster.shutdown()
        if hidden.exists():
            hidden.rename(tiny_checkpoint)
    assert "broken.png" in capsys.readouterr().err

    assert hidden.parent.is_dir()  # the checkpoint was hidden while the actors built the model
    ran = [line.split("\t") for line in nodes_log.read_text(encoding="utf-8").splitlines()]
    assert sorted(name for name, _ in ran) == NAMES  # each file once (none retried)
    per_node = Counter(node for _, node in ran)
    assert set(per_node) == nodes, per_node  # the actors ran on both nodes

    b = _same_output(one, two)
    assert set(b) == {*NAMES, "broken.png"}
    assert b["broken.png"]["status"] == "error"
    assert b["a.png"]["details"]["tiny"]["checkpoint"] == str(tiny_checkpoint)  # the driver's
