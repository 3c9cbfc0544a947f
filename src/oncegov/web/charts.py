"""The frame of the server-rendered SVG bar charts (no chart library, nothing inline that the
CSP refuses): the drawing's size, its margins, the plot area and the axis labels. Each page
adds its own bars."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(kw_only=True)
class ChartFrame:
    width: int = 960
    height: int = 300
    left: int = 56
    right: int = 12
    top: int = 12
    bottom: int = 44
    y_ticks: list[tuple[float, str]] = field(default_factory=list)  # (y, label)
    x_labels: list[tuple[float, str]] = field(default_factory=list)  # (x, label)

    @property
    def plot_bottom(self) -> int:
        return self.height - self.bottom

    @property
    def plot_right(self) -> int:
        return self.width - self.right
