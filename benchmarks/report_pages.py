"""Report page sizes: the demo's plan report and analysis pages, plotly shared or inlined.

Plans the demo network, assesses its risk, writes the plan report linked to the risk page into
a temporary folder, and prints each page's size, the shared ``plotly.min.js``, the folder's
total, and what the same pages weighed when each inlined plotly (issue 15, defect 14), side by
side. (``dronefab demo`` writes all six pages: 5.5 MB against 29.6 MB inlined.)

    python benchmarks/report_pages.py
    python benchmarks/report_pages.py dronefab-demo [--shots DIR]

Given the folder ``dronefab demo`` wrote, it measures that folder's pages instead: each page's
size and its load time in headless Chromium (``/usr/bin/chromium``, driven by Playwright: from
navigation to the load event, and until every chart has drawn), the median of three loads,
and with ``--shots`` saves a full-page screenshot of each page there.
"""

from __future__ import annotations

import argparse
import statistics
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


CHROMIUM = "/usr/bin/chromium"
LOADS = 3


def measure_folder(folder: Path, shots: Path | None) -> None:
    """Print each HTML page's size and load times in headless Chromium; screenshot each."""
    from playwright.sync_api import sync_playwright

    pages = sorted(folder.glob("*.html"))
    print(f"{'page':<18}{'size':>12}{'load (ms)':>12}{'charts (ms)':>13}{'charts':>8}")
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM)
        for path in pages:
            loads, drawn, count = [], [], 0
            for n in range(LOADS):
                tab = browser.new_page(viewport={"width": 1300, "height": 900})
                started = time.perf_counter()
                tab.goto(path.resolve().as_uri(), wait_until="load")
                loaded = time.perf_counter()
                count = tab.locator(".plotly-graph-div").count()
                if count:
                    tab.wait_for_function(
                        "n => document.querySelectorAll('.plotly-graph-div .main-svg').length >= n",
                        arg=count,
                    )
                done = time.perf_counter()
                loads.append(1000 * (loaded - started))
                drawn.append(1000 * (done - started))
                if shots is not None and n == 0:
                    shots.mkdir(parents=True, exist_ok=True)
                    tab.screenshot(path=str(shots / f"{path.stem}.png"), full_page=True)
                tab.close()
            print(
                f"{path.name:<18}{_mb(path.stat().st_size):>12}"
                f"{statistics.median(loads):>12.0f}{statistics.median(drawn):>13.0f}{count:>8}"
            )
        browser.close()
    library = folder / PLOTLY_FILE
    if library.is_file():
        print(f"{PLOTLY_FILE:<18}{_mb(library.stat().st_size):>12}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, help="a folder dronefab demo wrote")
    parser.add_argument("--shots", type=Path, help="save a screenshot of each page here")
    options = parser.parse_args()
    if options.folder is None:
        main()
    else:
        measure_folder(options.folder, options.shots)
