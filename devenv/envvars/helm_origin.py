"""Where a rendered chart's value was written. `helm template` heads every document it prints
with `# Source: <chart>/templates/<file>` (subcharts: `<chart>/charts/<sub>/templates/...`);
a value's provenance is that template, in the project's own folder when the chart is one of the
render command's `inputs`. Templates do not map back to lines, so the rendered line is kept."""

from __future__ import annotations

import os
import re
from pathlib import Path

_SOURCE = re.compile(r"^# Source: (\S(?:.*\S)?)\s*$")
_CHART_NAME = re.compile(r"^name:\s*['\"]?([^'\"\s#]+)", re.MULTILINE)


def has_sources(text: str) -> bool:
    return "# Source: " in text


def origins(text: str, root: Path, inputs: tuple[str, ...]) -> dict[int, str]:
    """Rendered line -> "<template file> (rendered line N)" for each line under a `# Source:`."""
    charts = _charts(root, inputs)
    found: dict[int, str] = {}
    current = ""
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("---"):
            current = ""
            continue
        match = _SOURCE.match(line)
        if match:
            current = _in_project(match.group(1), charts)
        elif current:
            found[number] = f"{current} (rendered line {number})"
    return found


def _charts(root: Path, inputs: tuple[str, ...]) -> dict[str, str]:
    """Chart name (Chart.yaml `name`) -> its project-relative folder, for the input folders."""
    charts: dict[str, str] = {}
    for written in inputs:
        manifest = root / written / "Chart.yaml"
        try:
            text = manifest.read_text(encoding="utf-8", errors="replace")[:65536]
        except OSError:
            continue
        match = _CHART_NAME.search(text)
        if match:
            charts.setdefault(match.group(1), os.path.normpath(written).replace(os.sep, "/"))
    return charts


def _in_project(source: str, charts: dict[str, str]) -> str:
    chart, _, rest = source.partition("/")
    folder = charts.get(chart)
    return f"{folder}/{rest}" if folder and rest else source
