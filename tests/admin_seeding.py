"""Helpers of the dashboard tests: an operator, a held price, a logged-in client."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from starlette.testclient import TestClient

from tests.seeding import PRICES, check_all, listing_id
from tracker.store.engine import Store
from tracker.web.admin.accounts import create_user

PASSWORD = "correct horse battery"
HELD = ("cosmicnootropic", "10 vials x 10 mg")
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def operator(store: Store, now: datetime, name: str = "ops", password: str = PASSWORD) -> None:
    create_user(store, name, password, now)


def hold_one(store: Store, now: datetime) -> int:
    """A reading of ten times the price an hour before ``now``: the publish gate holds it."""
    prices = dict(PRICES)
    prices[HELD] = ("750.00", "USD")
    check_all(store, now - timedelta(hours=1), prices)
    return listing_id(store, *HELD)


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def login(client: TestClient, name: str = "ops", password: str = PASSWORD) -> str:
    """Log in through the form; the session's CSRF token (from the overview page)."""
    form = client.get("/admin/login")
    assert form.status_code == 200
    response = client.post(
        "/admin/login",
        data={"name": name, "password": password, "csrf": csrf_of(form.text), "next": "/admin/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    overview = client.get("/admin/")
    assert overview.status_code == 200
    return csrf_of(overview.text)
