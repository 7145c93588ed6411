"""The check behind the `slow` marker, run on a small suite of its own in a pytest child."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tracker.config import PROJECT_ROOT

SUITE = '''
import multiprocessing
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

TOUCH = [sys.executable, "-c", "open('touched', 'w').close()"]


@pytest.fixture(scope="module")
def shared_server():
    with socket.create_server(("127.0.0.1", 0)) as sock:
        yield sock.getsockname()[1]


def test_fast_and_quiet():
    pass


def test_fast_starting_a_process():
    subprocess.run(TOUCH, check=True)


def test_fast_hiding_the_refusal():
    try:
        subprocess.run(TOUCH, check=True)
    except Exception:
        pass


def test_fast_starting_a_multiprocessing_process():
    multiprocessing.get_context("spawn").Process(target=print).start()


def test_fast_starting_an_http_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.server_close()


@pytest.mark.slow
def test_slow_starting_a_process():
    subprocess.run([sys.executable, "-c", "pass"], check=True)


@pytest.mark.slow
def test_slow_in_a_thread():
    thread = threading.Thread(target=subprocess.run, args=([sys.executable, "-c", "pass"],))
    thread.start()
    thread.join()


@pytest.mark.slow
def test_slow_starting_nothing():
    pass


@pytest.mark.slow
def test_slow_setting_up_the_shared_server(shared_server):
    pass


@pytest.mark.slow
def test_slow_reusing_the_shared_server(shared_server):
    pass


def test_fast_reusing_the_shared_server(shared_server):
    pass
'''

EXPECTED = {
    "test_fast_and_quiet": ("PASSED", ""),
    "test_fast_starting_a_process": ("FAILED", "started a process (" + sys.executable),
    "test_fast_hiding_the_refusal": ("FAILED", "started a process ("),
    "test_fast_starting_a_multiprocessing_process": ("FAILED", "started a process (Spawn"),
    "test_fast_starting_an_http_server": ("FAILED", "started a server (listening on"),
    "test_slow_starting_a_process": ("PASSED", ""),
    "test_slow_in_a_thread": ("PASSED", ""),
    "test_slow_starting_nothing": ("ERROR", "started no process and no server"),
    "test_slow_setting_up_the_shared_server": ("PASSED", ""),
    "test_slow_reusing_the_shared_server": ("PASSED", ""),
    "test_fast_reusing_the_shared_server": ("ERROR", "uses a fixture 'shared_server' that"),
}


@pytest.mark.slow  # a pytest child process
def test_the_mark_is_checked_both_ways(tmp_path: Path) -> None:
    (tmp_path / "test_suite.py").write_text(SUITE, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers = slow: slow\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.slow_marker", "-p", "no:cacheprovider"]
        + ["-rA", "-vv", "test_suite.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = result.stdout.splitlines()
    for name, (outcome, message) in EXPECTED.items():
        found = [x for x in lines if x.startswith(f"{outcome} test_suite.py::{name}")]
        assert found, f"{name} is not {outcome}:\n{result.stdout}"
        assert message in found[0], found[0]
        if outcome != "PASSED":
            assert "slow" in found[0], found[0]
    assert not (tmp_path / "touched").exists()  # the refused processes never ran
