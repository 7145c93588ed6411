"""What an operator most likely meant: the spelling hints of configuration and catalog errors.

``likely("max_age_hour", fields)`` is ``"max_age_hours"``; ``likely("GPB", codes)`` is ``"GBP"``
(a swapped pair of letters is the commonest slip in a code). ``unknown_key`` turns pydantic's
"extra inputs are not permitted" into a message that names the key and its likely spelling.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any, get_args

from pydantic import BaseModel


def likely(word: str, choices: Iterable[str]) -> str | None:
    """The choice closest to ``word``: same letters in another case or order, else difflib's."""
    options = list(choices)
    folded = word.casefold()
    for choice in options:
        if choice.casefold() == folded:
            return choice
    same_letters = [c for c in options if sorted(c.casefold()) == sorted(folded)]
    if len(same_letters) == 1:
        return same_letters[0]
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(spelling: str | None) -> str:
    """`` (did you mean X?)``, or nothing when there is no likely spelling."""
    return f" (did you mean {spelling}?)" if spelling else ""


def hint(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean X?)`` when a choice is close to ``word``, else nothing."""
    return did_you_mean(likely(word, choices))


def _models(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation holds (through Optional, list, Annotated, ...)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _models(arg)]


def keys_at(model: type[BaseModel], loc: Sequence[Any]) -> list[str]:
    """The keys the model accepts at ``loc`` (a path of field names and list indexes)."""
    current = [model]
    for part in loc:
        if isinstance(part, int):
            continue
        current = [
            inner
            for m in current
            if part in m.model_fields
            for inner in _models(m.model_fields[part].annotation)
        ]
    return sorted({name for m in current for name in m.model_fields})


def unknown_key(model: type[BaseModel], loc: Sequence[Any]) -> str:
    """``unknown key (did you mean X?)`` for the last key of ``loc`` inside ``model``."""
    return f"unknown key{hint(str(loc[-1]), keys_at(model, loc[:-1]))}"
