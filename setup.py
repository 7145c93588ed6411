"""Only for `scrapyd-deploy`, which builds the Scrapyd egg with `setup.py bdist_egg`.

Installs use pyproject.toml (where the packages and the `scrapy` entry point are declared).
An egg build puts its build folder in a temporary folder and removes the egg-info folder it
made, so that deploying leaves nothing in the work tree.
"""

import atexit
import shutil
import sys
import tempfile
from pathlib import Path

from setuptools import setup

options = {}
if {"bdist_egg", "clean"} & set(sys.argv[1:]):
    build = tempfile.mkdtemp(prefix="tracker-egg-build-")
    atexit.register(shutil.rmtree, build, True)
    options = {"build": {"build_base": build}}
    egg_info = Path(__file__).resolve().parent / "affiliate_price_tracker.egg-info"
    if not egg_info.exists():
        atexit.register(shutil.rmtree, egg_info, True)

setup(options=options)
