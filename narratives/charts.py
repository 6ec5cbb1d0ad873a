"""The report's charts as PNG data URIs: the outlet × fact heatmap and the coverage timeline.

Usage::

    uri = heatmap_png(data.heatmap, data.affiliations)      # "data:image/png;base64,..." or None
    html = f'<img src="{uri}" alt="...">'

matplotlib's object API (``Figure`` with the Agg canvas), never pyplot: no global state,
no display needed, safe in threads. Images are embedded so a report opens without any
network request. ``None`` when there is nothing to draw.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping
from typing import Any

from .compare import STATE_AFFILIATIONS
from .report_data import Heatmap, Timeline

STATE_COLOUR = "#b3261e"
OTHER_COLOUR = "#1f3b57"
DPI = 110


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    fig.patch.set_facecolor("white")
    return fig


def _data_uri(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _outlet_labels(ax: Any, outlets: tuple[str, ...], affiliations: Mapping[str, str]) -> None:
    ax.set_yticks(range(len(outlets)))
    ax.set_yticklabels([f"{o}  ({affiliations.get(o, 'unknown')})" for o in outlets])
    for label, outlet in zip(ax.get_yticklabels(), outlets, strict=True):
        state = affiliations.get(outlet) in STATE_AFFILIATIONS
        label.set_color(STATE_COLOUR if state else OTHER_COLOUR)
        label.set_fontweight("bold" if state else "normal")


def heatmap_png(heatmap: Heatmap, affiliations: Mapping[str, str]) -> str | None:
    """Omission rate per outlet (rows) and fact (columns); each cell says omitted/events."""
    if not heatmap.outlets or not heatmap.facts:
        return None
    import numpy as np

    rows, cols = len(heatmap.outlets), len(heatmap.facts)
    rates = np.full((rows, cols), np.nan)
    for i, outlet in enumerate(heatmap.outlets):
        for j, fact in enumerate(heatmap.facts):
            p = heatmap.cells.get((outlet, fact))
            if p is not None and p.events and p.rate is not None:
                rates[i, j] = p.rate
    fig = _figure(max(6.0, 1.0 + 0.62 * cols + 2.2), max(2.4, 0.9 + 0.42 * rows))
    ax = fig.add_subplot()
    from matplotlib import colormaps

    cmap = colormaps["YlOrRd"].with_extremes(bad="#f1f1f1")
    image = ax.imshow(np.ma.masked_invalid(rates), cmap=cmap, vmin=0, vmax=1, aspect="auto")
    for i, outlet in enumerate(heatmap.outlets):
        for j, fact in enumerate(heatmap.facts):
            p = heatmap.cells.get((outlet, fact))
            if p is None or not p.events:
                ax.text(j, i, "·", ha="center", va="center", color="#9a9a9a", fontsize=9)
                continue
            dark = p.rate is not None and p.rate >= 0.6
            ax.text(j, i, f"{p.omitted}/{p.events}", ha="center", va="center", fontsize=8,
                    color="white" if dark else "#222222")
    ax.set_xticks(range(cols))
    ax.set_xticklabels([heatmap.labels.get(f, f) for f in heatmap.facts], rotation=40, ha="right", fontsize=8)
    _outlet_labels(ax, heatmap.outlets, affiliations)
    ax.tick_params(axis="y", labelsize=9, length=0)
    ax.tick_params(axis="x", length=0)
    ax.set_xticks([x - 0.5 for x in range(1, cols)], minor=True)
    ax.set_yticks([y - 0.5 for y in range(1, rows)], minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="minor", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    bar = fig.colorbar(image, ax=ax, fraction=0.03, pad=0.02)
    bar.set_label("omission rate", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    return _data_uri(fig)


def timeline_png(timeline: Timeline, affiliations: Mapping[str, str]) -> str | None:
    """Articles per outlet (rows) and day (columns); a blank cell is a day with none."""
    if not timeline.days or not timeline.outlets:
        return None
    import numpy as np

    rows, cols = len(timeline.outlets), len(timeline.days)
    counts = np.zeros((rows, cols))
    for i, outlet in enumerate(timeline.outlets):
        for j, day in enumerate(timeline.days):
            counts[i, j] = timeline.counts.get((outlet, day), 0)
    fig = _figure(min(14.0, max(6.0, 2.6 + 0.36 * cols)), max(2.2, 0.9 + 0.36 * rows))
    ax = fig.add_subplot()
    from matplotlib import colormaps

    cmap = colormaps["Blues"].with_extremes(bad="white")
    top = max(1.0, float(counts.max()))
    ax.imshow(np.ma.masked_equal(counts, 0), cmap=cmap, vmin=-0.15 * top, vmax=top, aspect="auto")
    if cols <= 45:
        for i in range(rows):
            for j in range(cols):
                n = int(counts[i, j])
                ax.text(j, i, str(n) if n else "–", ha="center", va="center", fontsize=7,
                        color="#b3261e" if not n else ("white" if n > 0.6 * top else "#1b1b1b"))
    step = max(1, cols // 20)
    ax.set_xticks(range(0, cols, step))
    ax.set_xticklabels([timeline.days[j].strftime("%d %b") for j in range(0, cols, step)],
                       rotation=45, ha="right", fontsize=8)
    _outlet_labels(ax, timeline.outlets, affiliations)
    ax.tick_params(axis="y", labelsize=9, length=0)
    ax.set_xticks([x - 0.5 for x in range(1, cols)], minor=True)
    ax.set_yticks([y - 0.5 for y in range(1, rows)], minor=True)
    ax.grid(which="minor", color="#dddddd", linewidth=0.8)
    ax.tick_params(which="minor", length=0)
    for spine in ax.spines.values():
        spine.set_color("#cccccc")
    return _data_uri(fig)
