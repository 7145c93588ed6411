"""The `slow` marker, checked: a test is slow exactly when it starts a process or a server.

Every test runs watched: an audit hook (`sys.addaudithook`) sees each process start
(`subprocess`, `os.fork`, `os.posix_spawn`, `os.system`, and `multiprocessing` through its
`start`), and a wrapper around `socket.socket.listen` sees each server that begins to listen.
Whatever starts one, the test itself or a fixture it uses, counts for the test.

- A test not marked slow that starts one fails with "mark it slow", and the start is refused, so
  the fast run stays fast. A test not marked slow that uses a fixture which started one for
  another test fails the same way, whichever test happened to set the fixture up first.
- A test marked slow that passed without starting any fails at its teardown with "remove the
  slow mark".

So `pytest -m "not slow"` (`make test-fast`) runs exactly the tests that start nothing.
"""

from __future__ import annotations

import multiprocessing.process
import shlex
import socket
import sys
from collections.abc import Callable, Generator
from typing import Any

import pytest

# Audit events that start another process (os.exec* replaces this one: not a start).
PROCESS_EVENTS = frozenset(
    {"subprocess.Popen", "os.fork", "os.forkpty", "os.posix_spawn", "os.spawn", "os.system"}
)
PASSED = pytest.StashKey[dict[str, bool]]()


class NotMarkedSlow(RuntimeError):
    """A test not marked slow tried to start a process or a server."""


def _describe(event: str, args: tuple[Any, ...]) -> str:
    if event == "subprocess.Popen":
        command = shlex.join(map(str, args[1])) if isinstance(args[1], list | tuple) else args[1]
        return f"a process ({str(command)[:120]})"
    if event == "os.system":
        return f"a process ({str(args[0])[:120]})"
    return f"a process ({event})"


class Watch:
    """What each test, and each fixture being set up, started."""

    def __init__(self) -> None:
        self.item: pytest.Item | None = None
        self.fixtures: list[pytest.FixtureDef[Any]] = []  # being set up, innermost last
        self.started: dict[str, list[str]] = {}  # test id -> what it started
        self.starting_fixtures: dict[pytest.FixtureDef[Any], str] = {}  # -> what it started
        self.refused: list[str] = []  # what the running test was refused

    def start(self, what: str) -> None:
        """Record a start; refuse it unless the running test is marked slow."""
        item = self.item
        if item is None:
            return  # between tests (collection, session set-up): not a test's doing
        if self.fixtures:
            self.starting_fixtures.setdefault(self.fixtures[-1], what)
        self.started.setdefault(item.nodeid, []).append(what)
        if item.get_closest_marker("slow") is None:
            self.refused.append(what)
            raise NotMarkedSlow(f"{item.nodeid} started {what}: {MARK_IT_SLOW}")

    def fixture_starts(self, item: pytest.Item) -> list[str]:
        """The starts of the fixtures ``item`` uses, whichever test set them up."""
        info = getattr(item, "_fixtureinfo", None)
        if info is None:
            return []
        starts = []
        for name, definitions in info.name2fixturedefs.items():
            for definition in reversed(definitions):  # the one used, then those it overrides
                if (what := self.starting_fixtures.get(definition)) is not None:
                    starts.append(f"fixture {name!r} that started {what}")
                if name not in definition.argnames:
                    break  # it does not ask for the fixture it overrides
        return starts


MARK_IT_SLOW = (
    "mark it slow (@pytest.mark.slow): a test that starts a process or a server (a crawl, the "
    "scheduler, Scrapyd, an HTTP server, a browser) is slow, and `make test-fast` skips it"
)
WATCH = Watch()
_undo: list[Callable[[], None]] = []  # how to remove the listen and multiprocessing wrappers
_owner: list[pytest.Config] = []  # the session that installed them (a nested one does not)
_hooked: list[Callable[[str, tuple[Any, ...]], None]] = []  # the audit hook, added once


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event in PROCESS_EVENTS:
        WATCH.start(_describe(event, args))


def _wrap(owner: type, name: str, what: Callable[[Any], str]) -> None:
    original = getattr(owner, name)

    def watched(self: Any, *args: Any, **kwargs: Any) -> Any:
        WATCH.start(what(self))
        return original(self, *args, **kwargs)

    setattr(owner, name, watched)
    _undo.append(lambda: setattr(owner, name, original))


def _server(sock: socket.socket) -> str:
    try:
        return f"a server (listening on {sock.getsockname()!r})"
    except OSError:
        return "a server"


def pytest_configure(config: pytest.Config) -> None:
    if _owner:
        return
    _owner.append(config)
    if _audit not in _hooked:
        sys.addaudithook(_audit)  # cannot be removed: idle while no test runs
        _hooked.append(_audit)
    _wrap(socket.socket, "listen", _server)
    _wrap(multiprocessing.process.BaseProcess, "start", lambda p: f"a process ({p.name})")


def pytest_unconfigure(config: pytest.Config) -> None:
    if _owner == [config]:
        while _undo:
            _undo.pop()()
        _owner.clear()


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, object, object]:
    WATCH.fixtures.append(fixturedef)
    try:
        return (yield)
    finally:
        WATCH.fixtures.pop()


def _watched(item: pytest.Item) -> Generator[None, object, object]:
    """Run one phase of ``item``; fail it when a test not marked slow started something."""
    WATCH.item, WATCH.refused = item, []
    try:
        result = yield
    except NotMarkedSlow:
        raise  # it says so already
    except BaseException:
        _fail_if_refused(item)  # the refusal may be why it failed: say so first
        raise
    finally:
        WATCH.item = None
    _fail_if_refused(item)  # refused, but the refusal was caught and passed over
    return result


def _fail_if_refused(item: pytest.Item) -> None:
    refused, WATCH.refused = WATCH.refused, []
    if refused:
        pytest.fail(f"{item.nodeid} started {refused[0]}: {MARK_IT_SLOW}", pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, object, object]:
    result = yield from _watched(item)
    if item.get_closest_marker("slow") is None and (shared := WATCH.fixture_starts(item)):
        pytest.fail(f"{item.nodeid} uses a {shared[0]}: {MARK_IT_SLOW}", pytrace=False)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    return (yield from _watched(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    result = yield from _watched(item)
    passed = item.stash.get(PASSED, {})
    if (
        item.get_closest_marker("slow") is not None
        and passed.get("setup") is True
        and passed.get("call") is True
        and not WATCH.started.get(item.nodeid)
        and not WATCH.fixture_starts(item)
    ):
        pytest.fail(
            f"{item.nodeid} is marked slow but started no process and no server, nor did "
            "its fixtures: remove the slow mark",
            pytrace=False,
        )
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    item.stash.setdefault(PASSED, {})[report.when] = report.passed
    return report
