"""A non-editable install is a whole tracker: the wheel holds the templates, the migrations and
the site scaffold, builds without a deprecation warning, and run from the unpacked wheel alone
(no work tree on the path) `tracker render` fills the boxes, `tracker init DIR` makes a site
and `tracker demo` runs in a clone."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT
from tests.seeding import seed_sample
from tracker.store.engine import open_store
from tracker.web.samplesite import SAMPLE_SITE_DIR, StaticSite

TEMPLATES = (
    "buy_box.html",
    "embed.js",
    "live_page.html",
    "parts/card.html",
    "parts/offer.html",
    "parts/sparkline.html",
    "parts/style.html",
    "parts/table.html",
)


def build_wheel(folder: Path) -> Path:
    """Build the wheel from a clean copy of the sources (the work tree gets no build files)."""
    source = folder / "source"
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md", "scrapy.cfg"):
        shutil.copy2(PROJECT_ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("tracker", "spiders"):
        shutil.copytree(PROJECT_ROOT / package, source / package, ignore=ignore)
    dist = folder / "dist"
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(dist),
            str(source),
        ],
        check=True,
        timeout=240,
        cwd=folder,
        capture_output=True,
        text=True,
    )
    said = (built.stdout + built.stderr).lower()
    assert "deprecat" not in said and "warning: " not in said.replace("warning: location", ""), said
    [wheel] = dist.glob("*.whl")
    return wheel


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built once for this module and unpacked as an install would lay it out."""
    folder = tmp_path_factory.mktemp("wheel")
    wheel = build_wheel(folder)
    installed = folder / "installed"
    zipfile.ZipFile(wheel).extractall(installed)
    return installed


def run_installed(installed: Path, code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Python code run with the unpacked wheel first on the path and no site processing (the
    editable install never loads); a crawl child finds the same through PYTHONPATH."""
    purelib = sysconfig.get_paths()["purelib"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join((str(installed), purelib))}
    return subprocess.run(
        [sys.executable, "-S", "-c", code],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=cwd,
        env=env,
    )


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_an_installed_tracker_renders_with_its_own_templates(
    unpacked: Path, tmp_path: Path
) -> None:
    missing = [t for t in TEMPLATES if not (unpacked / "tracker" / "templates" / t).is_file()]
    assert missing == []

    installed = unpacked
    database = tmp_path / "tracker.db"
    store = open_store(f"sqlite:///{database}")
    try:
        seed_sample(store, datetime.now(UTC))  # `tracker render` reads the clock
    finally:
        store.close()
    config = tmp_path / "tracker.toml"
    config.write_text(
        f'database_url = "sqlite:///{database}"\n'
        f'content_dir = "{PROJECT_ROOT / "examples" / "content"}"\n'
        'out_dir = "out"\n',
        encoding="utf-8",
    )
    # -S: no site-packages processing, so the editable install's finder never loads; the
    # unpacked wheel comes first on the path, the dependencies after it.
    code = (
        "import sys\n"
        f"sys.path[:0] = [{str(installed)!r}, {sysconfig.get_paths()['purelib']!r}]\n"
        "import tracker.config\n"
        "print('templates:', tracker.config.BUILTIN_TEMPLATES)\n"
        "from tracker.cli import main\n"
        f"main(['--config', {str(config)!r}, 'render'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-S", "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"templates: {installed / 'tracker' / 'templates'}" in result.stdout
    article = (tmp_path / "out" / "cortexin-review.html").read_text(encoding="utf-8")
    assert 'class="tracker-buy' in article and "$75.00" in article, result.stdout


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_an_installed_tracker_starts_a_site_and_runs_the_demo(
    unpacked: Path, tmp_path: Path
) -> None:
    names = {str(p.relative_to(unpacked)) for p in unpacked.rglob("*") if p.is_file()}
    for name in ("tracker.toml", "catalog.yaml", "content/example-review.html"):
        assert f"tracker/scaffold/{name}" in names
    assert "tracker/store/migrations/env.py" in names
    assert any(n.startswith("tracker/store/migrations/versions/0006") for n in names)

    site = tmp_path / "mysite"
    code = (
        "import tracker\n"
        "print('tracker from', tracker.__file__)\n"
        "from tracker.cli import main\n"
        f"main(['init', {str(site)!r}])\n"
    )
    result = run_installed(unpacked, code, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"tracker from {unpacked / 'tracker' / '__init__.py'}" in result.stdout
    assert (site / "var" / "tracker.db").is_file() and (site / "catalog.yaml").is_file()
    walk_through_the_readme(unpacked, site)

    # The demo of a clone, run by the installed tracker (its output goes to tmp_path).
    shutil.copytree(PROJECT_ROOT / "examples" / "content", tmp_path / "content")
    config = tmp_path / "tracker.toml"
    config.write_text(
        f'catalog = "{PROJECT_ROOT / "examples" / "catalog.yaml"}"\n'
        'content_dir = "content"\nout_dir = "out"\n'
        '[crawl]\ndownload_delay = 0\ncontact_url = "http://127.0.0.1/tests"\n',
        encoding="utf-8",
    )
    demo = f"from tracker.cli import main\nmain(['--config', {str(config)!r}, 'demo'])\n"
    result = run_installed(unpacked, demo, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "20 added" in result.stdout and "In stock" in result.stdout
    article = (tmp_path / "out" / "cortexin-review.html").read_text(encoding="utf-8")
    assert 'class="tracker-buy' in article and "$75.00" in article
    again = run_installed(unpacked, demo, tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "0 added, 0 updated" in again.stdout


def walk_through_the_readme(installed: Path, site: Path) -> None:
    """README "Your own site, step by step", after `tracker init`: add the sample vendor's page
    by URL, delete the example entries, name the product in the marker, sync, crawl, render."""

    def tracker(*args: str) -> str:
        code = f"from tracker.cli import main\nmain({list(args)!r})\n"
        result = run_installed(installed, code, site)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    config = site / "tracker.toml"
    text = config.read_text(encoding="utf-8").replace("download_delay = 0.5", "download_delay = 0")
    config.write_text(text + "allow_private_addresses = true\n", encoding="utf-8")  # in [crawl]
    with StaticSite(SAMPLE_SITE_DIR) as shop:
        page = f"{shop.url}/cosmicnootropic/cortexin.html"
        assert "sku: CTX-10X5" in tracker("extract", page, "--catalog-entry")
        out = tracker("catalog", "add", page, "--vendor-slug", "cosmicnootropic")
        assert "added vendor cosmicnootropic" in out
        catalog = site / "catalog.yaml"
        text = catalog.read_text(encoding="utf-8")
        text = re.sub(r"  - slug: example-product.*?(?=  - slug: cortexin)", "", text, flags=re.S)
        text = re.sub(r"  - slug: example-shop.*?(?=  - slug: cosmic)", "", text, flags=re.S)
        catalog.write_text(text, encoding="utf-8")
        article = site / "content" / "example-review.html"
        html = article.read_text(encoding="utf-8")
        article.write_text(html.replace('"example-product"', '"cortexin"'), encoding="utf-8")
        assert "4 added" in tracker("catalog", "sync")
        assert "ok" in tracker("crawl")
    tracker("render")
    box = (site / "out" / "example-review.html").read_text(encoding="utf-8")
    assert "$75.00" in box and "$45.00" in box and "shop.example" not in box
    tracker("render", "--check")  # nothing would change
