"""tracker.toml and TRACKER_* variables: an unknown key is an error, never ignored."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from tracker.config import ConfigError, Settings, load_settings
from tracker.spelling import likely


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            "[site]\nmax_age_hour = 3\n",
            "[site] max_age_hour: unknown key (did you mean max_age_hours?)",
        ),
        ('databse_url = "sqlite://"\n', "databse_url: unknown key (did you mean database_url?)"),
        ("[sitte]\nlocale = 'de_DE'\n", "[sitte]: unknown section (did you mean [site]?)"),
        (
            "[crawl]\nobey_robot = false\n",
            "[crawl] obey_robot: unknown key (did you mean obey_robots?)",
        ),
        ("[schedule]\nzzz = 1\n", "[schedule] zzz: unknown key"),
        (
            "[publish]\nconfirm_afer = '1h'\n",
            "[publish] confirm_afer: unknown key (did you mean confirm_after?)",
        ),
    ],
)
def test_unknown_keys_of_the_file_are_errors(tmp_path: Path, toml: str, message: str) -> None:
    config = tmp_path / "tracker.toml"
    config.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert str(caught.value) == f"{config}: {message}"


def test_unknown_variable_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRACKER_SITE__MAX_AGE_HOUR", "3")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == (
        "environment: TRACKER_SITE__MAX_AGE_HOUR: unknown variable "
        "(did you mean TRACKER_SITE__MAX_AGE_HOURS?)"
    )


def test_other_tracker_variables_are_not_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRACKER_SOMETHING_ELSE", "1")  # not nested: never read as a setting
    monkeypatch.setenv("TRACKER_SITE__MAX_AGE_HOURS", "3")
    assert load_settings().site.max_age_hours == 3


def test_the_repository_configuration_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    root = Path(__file__).resolve().parent.parent
    monkeypatch.chdir(root)
    assert load_settings(root / "tracker.toml").catalog.name == "catalog.yaml"


@pytest.mark.parametrize(
    ("word", "choices", "meant"),
    [
        ("GPB", ["GBP", "GIP", "PGK", "EUR"], "GBP"),
        ("max_age_hour", ["max_age_hours", "locale"], "max_age_hours"),
        ("mgs", ["mg", "g", "ml"], "mg"),
        ("Locale", ["locale"], "locale"),
        ("zzz", ["locale", "order"], None),
    ],
)
def test_likely_spelling(word: str, choices: list[str], meant: str | None) -> None:
    assert likely(word, choices) == meant


def test_every_section_refuses_unknown_keys() -> None:
    sections = [
        field.annotation
        for field in Settings.model_fields.values()
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
    ]
    assert len(sections) >= 4
    assert [s.__name__ for s in sections if s.model_config.get("extra") != "forbid"] == []
