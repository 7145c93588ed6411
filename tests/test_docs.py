"""The README documents every command and every configuration key."""

from __future__ import annotations

import click

from tracker.alerts.settings import AlertSettings, RuleSettings
from tracker.cli import main
from tracker.config import (
    PROJECT_ROOT,
    CrawlSettings,
    LinkSettings,
    PublishSettings,
    ScheduleSettings,
    ServeSettings,
    Settings,
    SiteSettings,
)

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def command_paths(group: click.Group, prefix: str = "tracker") -> list[str]:
    paths = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            paths.extend(command_paths(command, path))
        else:
            paths.append(path)
    return paths


def test_every_command_is_documented() -> None:
    missing = [path for path in command_paths(main) if f"`{path}" not in README]
    assert missing == []


def test_every_command_has_help() -> None:
    for name, command in main.commands.items():
        assert command.help, name


def test_every_setting_is_documented() -> None:
    sections = (
        "site", "crawl", "publish", "schedule", "alerts", "links", "serve", "root", "config_path"
    )
    keys = [k for k in Settings.model_fields if k not in sections]
    keys += [f"site.{k}" for k in SiteSettings.model_fields]
    keys += [f"crawl.{k}" for k in CrawlSettings.model_fields]
    keys += [f"publish.{k}" for k in PublishSettings.model_fields]
    keys += [f"schedule.{k}" for k in ScheduleSettings.model_fields]
    keys += [f"alerts.{k}" for k in AlertSettings.model_fields]
    keys += [f"links.{k}" for k in LinkSettings.model_fields]
    keys += list(RuleSettings.model_fields)  # a rule's keys
    keys += [f"serve.{k}" for k in ServeSettings.model_fields]
    missing = [key for key in keys if f"`{key}`" not in README]
    assert missing == []
