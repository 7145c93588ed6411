"""Where extraction spends its work, counted in CPU instructions (valgrind's callgrind).

Wall-clock ratios on a shared machine move by a factor of two between runs; instruction counts
do not. Each stage runs in its own process under callgrind over the same real pages (the middle
20 of the real corpus by size), and the count of a process that only loads the pages is taken
away, so each figure is that stage's own work. Stages are cumulative: `claims` also builds the
tree, `anchors` also reads the claims, and so on; the report gives each one's increment.

    python bench/extract_stages.py          # needs valgrind on PATH

The last line is `extract_ir_ratio=<extract / lxml.html parse>`, the instruction-count twin of
extract_bench.py's real_extract_ratio.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

STAGES = ("load", "parse", "tree", "claims", "anchors", "area", "extract")
PAGES = slice(20, 40)  # the middle of the 60 real pages by size


def run_stage(stage: str) -> None:
    """Run one stage over the pages (called in the child process, under callgrind)."""
    import lxml.html
    from extract_bench import real_pages

    from tracker.domain import ExtractHints
    from tracker.extract import extract, read_claims
    from tracker.extract._anchors import find_area, find_title, own_cart
    from tracker.extract._facts import Facts
    from tracker.extract.page import Page

    pages, urls = real_pages()
    chosen = sorted(pages, key=lambda page: len(page[1]))[PAGES]
    for name, body in chosen[:2]:  # imports and caches warmed in every stage alike
        extract(body, urls[name])
        lxml.html.fromstring(body)
    for name, body in chosen:
        if stage == "parse":
            lxml.html.fromstring(body)
            continue
        if stage == "extract":
            extract(body, urls[name])
            continue
        if stage == "load":
            continue
        page = Page(body, urls[name], ExtractHints())
        if page.tree is None or stage == "tree":
            continue
        claims = read_claims(page)
        if stage == "claims":
            continue
        names = [o.name for claim in claims for o in claim.offers[:1] if o.name]
        facts = Facts()
        title = find_title(page.tree, page, names, facts)
        cart = own_cart(page.tree, title, page, facts)
        if stage == "area":
            facts.keep_around(title, cart)
            find_area(title, cart, page, facts)


def count(stage: str, folder: Path) -> int:
    out = folder / f"callgrind.{stage}"
    result = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            sys.executable,
            __file__,
            "--stage",
            stage,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(r"Collected : (\d+)", result.stderr)
    if match is None:
        raise SystemExit(f"callgrind gave no count for {stage}:\n{result.stderr[-2000:]}")
    return int(match.group(1))


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--stage":
        run_stage(sys.argv[2])
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as folder:
        counts = {stage: count(stage, Path(folder)) for stage in STAGES}
    base = counts["load"]
    parse = counts["parse"] - base
    pages = PAGES.stop - PAGES.start
    print(f"lxml.html parse: {parse / 1e9:.3f} G instructions over {pages} pages")
    previous = base
    for stage in ("tree", "claims", "anchors", "area"):
        own = counts[stage] - previous
        print(f"  {stage:8} {own / 1e9:.3f} G  {own / parse:.2f} of a parse")
        previous = counts[stage]
    rest = counts["extract"] - previous
    print(f"  {'rest':8} {rest / 1e9:.3f} G  {rest / parse:.2f} of a parse (stock, decision)")
    print(f"extract_ir_ratio={(counts['extract'] - base) / parse:.2f}")


if __name__ == "__main__":
    main()
