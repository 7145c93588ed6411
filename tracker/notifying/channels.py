"""Send one message to one Apprise URL; say why when it fails (never raise).

Apprise is imported when a message goes out (its import costs ~0.25 s, every command would pay
it otherwise).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

Sender = Callable[[str, str, str], str | None]  # (url, title, body) -> error or None


def describe(url: str) -> str:
    """The URL with its secrets hidden, for the terminal and the log."""
    import apprise

    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        return "(not a valid Apprise URL)"
    return str(plugin.url(privacy=True))


def check_url(url: str) -> str | None:
    """Why the URL is unusable, or None."""
    import apprise

    return None if apprise.Apprise.instantiate(url) is not None else "not a valid Apprise URL"


def send(url: str, title: str, body: str) -> str | None:
    """Send the message; None when delivered, else what Apprise said went wrong."""
    import apprise

    notifier = apprise.Apprise()
    if not notifier.add(url):
        return "not a valid Apprise URL"
    with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:
        try:
            delivered = bool(notifier.notify(title=title, body=body, body_format="text"))
        except Exception as exc:  # a plugin's bug must not break a crawl either
            return f"{type(exc).__name__}: {exc}"[:500]
    if delivered:
        return None
    said = " ".join(str(captured.getvalue()).split())  # type: ignore[attr-defined]
    return (said or "the channel did not accept the message")[:500]
