"""Readable forms of a pass's statistics: a text summary naming the bottleneck, and a
timeline picture in the spirit of the tf.data performance guide's figures."""

from __future__ import annotations

import os
from typing import Any


def summary(stages: list[dict[str, Any]]) -> str:
    """A table of the stages (indented by depth) and the bottleneck: the stage that spent the
    most time on its own work."""
    head = (
        f"{'stage':<34}{'elements':>10}{'busy s':>10}{'input wait s':>14}"
        f"{'consumer wait s':>17}{'buffered':>10}{'tuned':>7}"
    )
    lines = [head]
    for s in stages:
        label = "  " * s["depth"] + s["name"]
        lines.append(
            f"{label:<34}{s['elements']:>10}{s['busy_s']:>10.3f}{s['input_wait_s']:>14.3f}"
            f"{s['consumer_wait_s']:>17.3f}{s['buffered']:>10}{s['tuned'] or '':>7}"
        )
        for note in s["notes"]:
            lines.append(f"{'':<4}{'  ' * s['depth']}note: {note}")
    if stages:
        total = sum(s["busy_s"] for s in stages) or 1.0
        worst = max(stages, key=lambda s: s["busy_s"])
        lines.append(
            f"bottleneck: {worst['path']} (busy {worst['busy_s']:.3f} s, "
            f"{100 * worst['busy_s'] / total:.0f}% of all stages' busy time)"
        )
    return "\n".join(lines)


def save_timeline(
    path: str | os.PathLike[str],
    stages: list[dict[str, Any]],
    events: list[tuple[int, int, float, float]],
    consumer: list[tuple[float, float]],
) -> None:
    """Draws one row per stage (and one for the consumer's own time) with a bar per call."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError("save_timeline needs matplotlib (pip install matplotlib)") from e
    rows = [s["path"] for s in stages] + ["consumer (your loop)"]
    fig, ax = plt.subplots(figsize=(12, 0.5 * len(rows) + 1.5))
    colors = plt.get_cmap("tab10")
    per_row: dict[int, list[tuple[float, float]]] = {}
    for stage, _thread, start, end in events:
        per_row.setdefault(stage, []).append((start, max(end - start, 1e-5)))
    per_row[len(rows) - 1] = [(a, max(b - a, 1e-5)) for a, b in consumer]
    for row, bars in per_row.items():
        ax.broken_barh(bars, (row - 0.4, 0.8), facecolors=colors(row % 10))
    ax.set_yticks(range(len(rows)), rows)
    ax.invert_yaxis()
    ax.set_xlabel("seconds since the iterator started")
    ax.set_title("ferroflow pipeline timeline")
    fig.tight_layout()
    fig.savefig(os.fspath(path))
    plt.close(fig)
