"""The `tracker` command line: one module per topic, one output module, thin commands."""

from tracker.cli.main import main

__all__ = ["main"]
