"""What ``forensic-train verdict`` prints: one line per network and ensemble, the validation
figures, then the test part's when it was read (:mod:`trainer.verdict`)."""

from __future__ import annotations

from typing import Any

FORGERIES_VAL = (
    "project-made forgeries (validation half)"  # its val_flagged entry (trainer.verdict)
)


def _flagged(val_flagged: dict[str, list[int]]) -> str:
    counts = [v for k, v in val_flagged.items() if "camera" in k]
    return f"{counts[0][0]} of {counts[0][1]}" if counts else "-"


def summary_lines(report: dict[str, Any]) -> list[str]:
    """One line per network and ensemble: validation figures, then the test part's if read."""
    lines = []
    for name, c in report["models"].items():
        lo, hi = c["val_image_auc_interval"]
        line = f"{name:24s} val AUC {c['val_image_auc']:.3f} [{lo:.2f}, {hi:.2f}]"
        line += f"  θ {c['threshold']:.4f}  camera-val flagged {_flagged(c['val_flagged'])}"
        if "test_image_auc" in c:
            line += f"  test AUC {c['test_image_auc']:.3f}"
            line += f"  camera-test flagged {c['test_camera_false_alarms']}"
        lines.append(line)
    for ens, figures in report["ensembles"].items():
        d, local = figures["detection"], figures.get("localization")
        line = f"{ens}:"
        if "val_image_auc" in d:
            line += f" val AUC {d['val_image_auc']:.3f}"
        if local is not None and not local["trusted_masks"]:
            line += (
                "  no map of a trusted mask found: are --casia's paths the features rows' "
                "(run from the folder the features were made in)?"
            )
        elif local is not None:
            line += "  val pixel F1 " + ", ".join(
                f"{'all' if k == 'pixel_f1' else k.removeprefix('pixel_f1_')} {v:.3f}"
                for k, v in local["val"].items()
                if k.startswith("pixel_f1")
            )
        forged = d.get("val_flagged", {}).get(FORGERIES_VAL)
        if forged is not None:
            line += f"  forgeries-val flagged {forged[0]} of {forged[1]}"
        if "test_image_auc" in d:
            line += f"  test AUC {d['test_image_auc']:.3f} bacc {d['test_balanced_accuracy']:.3f}"
            line += f" camera-test {d['test_camera_false_alarms']}"
        if "test_forgeries" in d:
            line += f" forgeries-test {d['test_forgeries']['flagged']}"
        lines.append(line)
    return lines
