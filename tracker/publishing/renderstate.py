"""What the last render wrote, so that an article whose boxes' data did not change is skipped.

The state (``var_dir/render-state.json``) holds, per article: the source's and the target's
size and modification time, the data version of each product it shows
(`store/versions.py`), and the moment its boxes would change by the clock alone (a price
turning stale, `rules.shown_until`). An article is rendered again when any of those moved, or
when the site's settings or templates did (a fingerprint). A damaged or foreign state file is
ignored: everything is rendered and the file is written anew.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tracker import __version__
from tracker.config import BUILTIN_TEMPLATES, Settings

STATE_NAME = "render-state.json"
FORMAT = 1


def _stat(path: Path) -> list[int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return [found.st_mtime_ns, found.st_size]


def fingerprint(settings: Settings) -> str:
    """The site settings and every template file (name, time, size): a change renders all."""
    parts: list[Any] = [__version__, settings.site.model_dump(mode="json")]
    for folder in ([settings.templates_dir] if settings.templates_dir else []) + [
        BUILTIN_TEMPLATES
    ]:
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.is_file():
                parts.append([str(path), _stat(path)])
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass
class Entry:
    """One article as last rendered."""

    target: str
    boxes: int
    source_stat: list[int] | None
    target_stat: list[int] | None
    versions: dict[str, int]
    until: str | None  # ISO time after which the clock alone may change its boxes

    def still_valid(
        self, source: Path, target: Path, versions: dict[str, int], now: datetime
    ) -> bool:
        if self.target != str(target) or self.versions != versions:
            return False
        if self.source_stat is None or self.source_stat != _stat(source):
            return False
        if self.target_stat is None or self.target_stat != _stat(target):
            return False
        return self.until is None or now < datetime.fromisoformat(self.until)


@dataclass
class RenderState:
    path: Path
    fingerprint: str
    articles: dict[str, Entry] = field(default_factory=dict)

    @classmethod
    def load(cls, settings: Settings) -> RenderState:
        path = settings.var_dir / STATE_NAME
        mark = fingerprint(settings)
        state = cls(path, mark)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT or data.get("fingerprint") != mark:
                return state
            state.articles = {
                name: Entry(**entry) for name, entry in dict(data["articles"]).items()
            }
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            state.articles = {}
        return state

    def entry(self, source: Path) -> Entry | None:
        return self.articles.get(str(source.resolve()))

    def remember(
        self,
        source: Path,
        target: Path,
        boxes: int,
        versions: dict[str, int],
        until: datetime | None,
    ) -> None:
        self.articles[str(source.resolve())] = Entry(
            target=str(target),
            boxes=boxes,
            source_stat=_stat(source),
            target_stat=_stat(target),
            versions=versions,
            until=until.isoformat() if until else None,
        )

    def forget(self, source: Path) -> None:
        self.articles.pop(str(source.resolve()), None)

    def save(self) -> None:
        """Write the state through a temporary file and a rename (a reader never sees half)."""
        data = {
            "format": FORMAT,
            "fingerprint": self.fingerprint,
            "articles": {name: vars(entry) for name, entry in sorted(self.articles.items())},
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(temporary, self.path)
