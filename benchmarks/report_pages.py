"""Report page sizes: the demo's plan report and analysis pages, plotly shared or inlined.

Plans the demo network, assesses its risk, writes the plan report linked to the risk page into
a temporary folder, and prints each page's size, the shared ``plotly.min.js``, the folder's
total, and what the same pages weighed when each inlined plotly (issue 15, defect 14), side by
side. (``dronefab demo`` writes all six pages: 5.5 MB against 29.6 MB inlined.)

    python benchmarks/report_pages.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from plotly.offline import get_plotlyjs

from dronefab.model.demo import load_demo
from dronefab.planning.plan import PlanOptions, plan
from dronefab.report.bundle import write_linked_reports
from dronefab.report.html import PLOTLY_FILE
from dronefab.risk import assess_risk, write_risk


def _mb(size: int) -> str:
    return f"{size / 1e6:6.2f} MB"


def main() -> None:
    """Write the pages and print their sizes, shared against inlined."""
    library = len(get_plotlyjs().encode("utf-8"))
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        scenario = load_demo()
        plan_dir = plan(scenario, PlanOptions(explain=True)).write(root / "plan")
        write_risk(assess_risk(scenario), root / "risk")
        started = time.perf_counter()
        pages = write_linked_reports(plan_dir, root / "site" / "report.html", [root / "risk"])
        seconds = time.perf_counter() - started
        shared = (root / "site" / PLOTLY_FILE).stat().st_size
        sizes = {page.name: page.stat().st_size for page in pages}
    print(f"pages written in {seconds:.2f} s")
    print(f"{'page':<14}{'shared':>12}{'inlined':>12}")
    for name, size in sizes.items():
        print(f"{name:<14}{_mb(size):>12}{_mb(size + library):>12}")
    print(f"{PLOTLY_FILE:<14}{_mb(shared):>12}{'':>12}")
    total, inlined = sum(sizes.values()) + shared, sum(sizes.values()) + library * len(sizes)
    print(f"{'folder':<14}{_mb(total):>12}{_mb(inlined):>12}  ({inlined / total:.1f}x smaller)")


if __name__ == "__main__":
    main()
