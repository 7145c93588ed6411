"""A non-editable install ships the templates: the wheel holds them, and `tracker render` run
from the unpacked wheel alone (no work tree on the path) fills the boxes."""

from __future__ import annotations

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
    subprocess.run(
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
    )
    [wheel] = dist.glob("*.whl")
    return wheel


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_an_installed_tracker_renders_with_its_own_templates(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [t for t in TEMPLATES if f"tracker/templates/{t}" not in names]
    assert missing == []

    installed = tmp_path / "installed"
    zipfile.ZipFile(wheel).extractall(installed)
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
