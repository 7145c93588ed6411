"""The dashboard over HTTP (TestClient) on SQLite and PostgreSQL: pages, actions, auth."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from argon2 import PasswordHasher
from starlette.testclient import TestClient

from tests.admin_seeding import HELD, PASSWORD, csrf_of, hold_one, login, operator
from tests.conftest import NOW
from tests.seeding import listing_id, seed_sample
from tests.test_web import Clock
from tracker.config import ServeSettings, Settings, SiteSettings
from tracker.scheduling.jobstore import job_rows, sync_store_jobs
from tracker.scheduling.status import status_report
from tracker.store.engine import Store
from tracker.store.history import click_counts
from tracker.store.repo import listing_states
from tracker.web.admin import accounts
from tracker.web.admin.app import admin_mount, csv_cell
from tracker.web.server import create_app

# The data version read on every request: an action's effect shows on the next page at once.
SETTINGS = Settings(
    site=SiteSettings(inline_css=False, public_url="http://testserver"),
    serve=ServeSettings(version_check_seconds=0),
)
PAGES = [
    "/admin/",
    "/admin/api/status",
    "/admin/products/cortexin",
    "/admin/listings/1",
    "/admin/held",
    "/admin/schedule",
    "/admin/clicks",
    "/admin/clicks.csv",
]
ACTIONS = [
    "/admin/logout",
    "/admin/held/1/accept",
    "/admin/held/1/reject",
    "/admin/schedule/cosmicnootropic/pause",
    "/admin/schedule/cosmicnootropic/resume",
    "/admin/schedule/cosmicnootropic/run-now",
]
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 all the same, with small costs: the suite logs in a hundred times."""
    monkeypatch.setattr(accounts, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024))


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW + timedelta(seconds=30))


@pytest.fixture
def seeded(store: Store) -> Store:
    seed_sample(store, NOW)
    return store


def still_held(store: Store, listing: int) -> bool:
    with store.readers.begin() as session:
        [state] = [s for s in listing_states(session) if s.listing_id == listing]
    return state.price == Decimal("750.00") and not state.confirmed


def make_client(store: Store, clock: Clock, **kw: str) -> TestClient:
    return TestClient(
        create_app(SETTINGS, store=store, clock=clock, extensions=[admin_mount]), **kw
    )


@pytest.fixture
def client(seeded: Store, clock: Clock) -> Iterator[TestClient]:
    operator(seeded, NOW)
    with make_client(seeded, clock) as test_client:
        yield test_client


def test_off_until_an_operator_exists(seeded: Store, clock: Clock) -> None:
    with make_client(seeded, clock) as client:
        for path in ["/admin/login", *PAGES]:
            response = client.get(path, follow_redirects=False)
            assert response.status_code == 404, path
            assert "tracker admin create-user" in response.text
        assert client.post("/admin/held/1/accept").status_code == 404
        assert client.get("/boxes/cortexin.html").status_code == 200  # the public server is on


def test_without_a_session_pages_redirect_json_answers_401_actions_change_nothing(
    client: TestClient, seeded: Store
) -> None:
    held = hold_one(seeded, NOW)
    for path in PAGES:
        response = client.get(path, follow_redirects=False)
        if path.startswith("/admin/api/"):
            assert response.status_code == 401 and response.json() == {"error": "log in first"}
        else:
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/admin/login?next=/admin/")
    json_page = client.get("/admin/", headers={"Accept": "application/json"})
    assert json_page.status_code == 401
    for path in [*ACTIONS, f"/admin/held/{held}/accept"]:
        response = client.post(path, data={"csrf": "x"}, follow_redirects=False)
        assert response.status_code == 303, path
    assert still_held(seeded, held)


def test_login_sets_a_strict_http_only_cookie_and_logout_ends_the_session(
    client: TestClient,
) -> None:
    form = client.get("/admin/login")
    response = client.post(
        "/admin/login",
        data={
            "name": "ops",
            "password": PASSWORD,
            "csrf": csrf_of(form.text),
            "next": "/admin/held",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/admin/held"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("tracker_admin=")
    )
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=strict" in lowered and "path=/admin" in lowered
    assert "secure" not in lowered  # plain http (loopback); Secure over https, below
    token = csrf_of(client.get("/admin/").text)
    for header in ("content-security-policy", "x-frame-options", "cache-control"):
        assert header in client.get("/admin/").headers
    assert (
        client.post("/admin/logout", data={"csrf": token}, follow_redirects=False).status_code
        == 303
    )
    assert client.get("/admin/", follow_redirects=False).status_code == 303
    # The old cookie, replayed, is no session any more.
    client.cookies.set("tracker_admin", cookie.split(";")[0].split("=", 1)[1], path="/admin")
    assert client.get("/admin/", follow_redirects=False).status_code == 303


def test_cookie_is_secure_over_https(seeded: Store, clock: Clock) -> None:
    operator(seeded, NOW)
    with make_client(seeded, clock, base_url="https://testserver") as client:
        form = client.get("/admin/login")
        response = client.post(
            "/admin/login",
            data={"name": "ops", "password": PASSWORD, "csrf": csrf_of(form.text)},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert "secure" in response.headers["set-cookie"].lower()


def test_open_redirects_and_forged_cookies_are_refused(client: TestClient) -> None:
    for target in ("//evil.example/", "https://evil.example/", "/admin//evil.example", "/\\evil"):
        form = client.get("/admin/login")
        response = client.post(
            "/admin/login",
            data={"name": "ops", "password": PASSWORD, "csrf": csrf_of(form.text), "next": target},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/admin/", target
    client.cookies.clear()
    client.cookies.set("tracker_admin", "made-up.0123", path="/admin")
    assert client.get("/admin/", follow_redirects=False).status_code == 303


def test_the_login_form_needs_its_own_token(client: TestClient) -> None:
    client.get("/admin/login")
    response = client.post(
        "/admin/login", data={"name": "ops", "password": PASSWORD, "csrf": "guessed"}
    )
    assert response.status_code == 403
    cookies = response.headers.get_list("set-cookie")
    assert not [c for c in cookies if c.startswith("tracker_admin=")]
    assert client.get("/admin/", follow_redirects=False).status_code == 303


def test_failed_logins_are_rate_limited(client: TestClient, clock: Clock) -> None:
    for _ in range(5):
        form = client.get("/admin/login")
        wrong = client.post(
            "/admin/login", data={"name": "ops", "password": "wrong", "csrf": csrf_of(form.text)}
        )
        assert wrong.status_code == 401 and "Wrong name or password" in wrong.text
    form = client.get("/admin/login")
    limited = client.post(
        "/admin/login", data={"name": "ops", "password": PASSWORD, "csrf": csrf_of(form.text)}
    )
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert client.get("/admin/", follow_redirects=False).status_code == 303
    clock.now += timedelta(minutes=16)  # the window has passed
    login(client)


def test_expired_sessions_of_any_operator_are_refused(
    client: TestClient, seeded: Store, clock: Clock
) -> None:
    operator(seeded, NOW, "other", "another long password")
    login(client, "other", "another long password")
    assert client.get("/admin/held").status_code == 200
    clock.now += timedelta(hours=12, seconds=1)
    for path in PAGES:
        assert client.get(path, follow_redirects=False).status_code in (303, 401), path
    for path in ACTIONS:
        assert client.post(path, data={"csrf": "x"}, follow_redirects=False).status_code == 303


def test_a_wrong_csrf_token_changes_nothing(client: TestClient, seeded: Store) -> None:
    held = hold_one(seeded, NOW)
    token = login(client)
    for path in [*ACTIONS, f"/admin/held/{held}/accept"]:
        for data in ({"csrf": token[:-1] + "x"}, {}):
            response = client.post(path, data=data, follow_redirects=False)
            assert response.status_code == 403, path
    assert client.get("/admin/").status_code == 200  # still logged in: logout was refused too
    assert "750.00" not in client.get("/boxes/cortexin.html").text and still_held(seeded, held)
    # GET never changes anything: the action routes answer 405 to it.
    assert client.get(f"/admin/held/{held}/accept").status_code == 405


def test_overview_shows_what_tracker_status_reports(client: TestClient, seeded: Store) -> None:
    hold_one(seeded, NOW)
    login(client)
    page = client.get("/admin/").text
    report = status_report(seeded, SETTINGS, NOW + timedelta(seconds=30))
    for row in report.vendors:
        assert f'<th scope="row">{row.vendor}</th>' in page
    for problem in report.problems:
        assert problem in page
    assert "1 held price</a>" in page and "ok: 3" in page and "held: 1" in page
    data = client.get("/admin/api/status").json()
    assert data["problems"] == report.problems and data["held"] == 1
    vendor = next(v for v in data["vendors"] if v["vendor"] == "cosmicnootropic")
    assert vendor["last_run"] is None and vendor["listings"] == {"held": 1, "ok": 3}


def test_product_page_charts_history_and_shows_the_box(client: TestClient, seeded: Store) -> None:
    login(client)
    page = client.get("/admin/products/cortexin?days=30")
    assert page.status_code == 200
    text = page.text
    first = listing_id(seeded, "cosmicnootropic", "10 vials x 10 mg")
    assert f'href="/admin/listings/{first}"' in text
    assert text.count("<svg") >= 4 and "<polyline" in text
    assert "low 75.00, high 80.00 USD, 2 changes" in text  # 80 a month ago, then 75
    assert "<td>80.00</td><td>75.00 USD</td>" in text
    assert 'class="tracker-box' in text and "$75.00" in text  # the box as readers see it
    assert "<strong>30 days</strong>" in client.get("/admin/products/cortexin?days=30").text
    assert "<strong>90 days</strong>" in client.get("/admin/products/cortexin?days=7").text
    assert client.get("/admin/products/nothing").status_code == 404


def test_listing_page_shows_provenance_and_runs(client: TestClient, seeded: Store) -> None:
    held = hold_one(seeded, NOW)
    login(client)
    text = client.get(f"/admin/listings/{held}").text
    assert "750.00 USD" in text and "held" in text and "price moved +900 %" in text
    assert "75.00 USD" in text and "published" in text
    assert "Fetch the page now" in text
    explained = client.get(f"/admin/listings/{held}?explain=1").text
    assert "cannot resolve shop.example" in explained  # checked before any fetch
    for bad in ("999999", "abc", "9" * 5000):
        assert client.get(f"/admin/listings/{bad}").status_code == 404


def test_accepting_a_held_price_changes_the_box(client: TestClient, seeded: Store) -> None:
    held = hold_one(seeded, NOW)
    token = login(client)
    page = client.get("/admin/held").text
    assert f'id="held-{held}"' in page and "75.00 USD" in page and "750.00 USD" in page
    assert "$750.00" not in client.get("/boxes/cortexin.html").text
    done = client.post(f"/admin/held/{held}/accept", data={"csrf": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/admin/held?done=")
    assert "750.00 USD accepted and published" in client.get(done.headers["location"]).text
    assert "$750.00" in client.get("/boxes/cortexin.html").text
    again = client.post(f"/admin/held/{held}/accept", data={"csrf": token})
    assert "has no held price" in again.text


def test_rejecting_a_held_price_keeps_the_old_one(client: TestClient, seeded: Store) -> None:
    held = hold_one(seeded, NOW)
    token = login(client)
    done = client.post(f"/admin/held/{held}/reject", data={"csrf": token})
    assert "750.00 USD rejected; 75.00 USD stays" in done.text
    assert "No price is held" in done.text
    box = client.get("/boxes/cortexin.html").text
    assert "$750.00" not in box


def test_schedule_pause_resume_and_run_now_go_through_the_job_store(
    client: TestClient, seeded: Store
) -> None:
    sync_store_jobs(seeded, SETTINGS)
    token = login(client)
    assert "Pause cosmicnootropic" in client.get("/admin/schedule").text
    paused = client.post("/admin/schedule/cosmicnootropic/pause", data={"csrf": token})
    assert "paused cosmicnootropic" in paused.text and "Resume cosmicnootropic" in paused.text
    assert job_rows(seeded)[0]["cosmicnootropic"].paused
    resumed = client.post("/admin/schedule/cosmicnootropic/resume", data={"csrf": token})
    assert "resumed cosmicnootropic: next run" in resumed.text
    assert not job_rows(seeded)[0]["cosmicnootropic"].paused
    queued = client.post("/admin/schedule/cosmicnootropic/run-now", data={"csrf": token})
    assert "queued a crawl of cosmicnootropic" in queued.text
    assert job_rows(seeded)[0]["cosmicnootropic"].run_now
    unknown = client.post("/admin/schedule/nobody/pause", data={"csrf": token})
    assert unknown.status_code == 200 and "nobody" in unknown.text


def test_clicks_count_readers_once_and_export_csv(client: TestClient, seeded: Store) -> None:
    first = listing_id(seeded, "cosmicnootropic", "10 vials x 10 mg")
    second = listing_id(seeded, "harbor-health", "60 capsules")
    review = {
        "Referer": "https://reviews.example/cortexin-review.html?utm=x",
        "User-Agent": BROWSER,
    }
    go = "/go/{}"
    client.get(go.format(first), headers=review, follow_redirects=False)
    client.get(go.format(first), headers=review, follow_redirects=False)  # the same visitor
    client.get(go.format(first), headers={**review, "User-Agent": BROWSER + " Firefox"})
    client.get(go.format(second), headers={"User-Agent": BROWSER}, follow_redirects=False)
    for headers in (
        {"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1)"},
        {"User-Agent": "facebookexternalhit/1.1"},
        {"User-Agent": "Slackbot-LinkExpanding 1.0"},
        {"User-Agent": BROWSER, "Sec-Purpose": "prefetch;prerender"},
        {"User-Agent": BROWSER, "Purpose": "prefetch"},
        {"User-Agent": ""},
    ):
        assert (
            client.get(go.format(second), headers=headers, follow_redirects=False).status_code
            == 302
        )
    client.head(go.format(second), headers={"User-Agent": BROWSER + " other"})
    with seeded.sessions.begin() as session:
        assert click_counts(session) == {first: 2, second: 1}
    login(client)
    page = client.get("/admin/clicks?days=30").text
    assert "3 clicks" in page
    assert "/cortexin-review.html</td><td>2</td><td>2</td>" in page
    assert "CosmicNootropic</td><td>2</td><td>2</td>" in page
    assert "facebookexternalhit" in page and "<code>bot</code>" in page
    export = client.get("/admin/clicks.csv?days=30")
    assert export.headers["content-type"].startswith("text/csv")
    assert "attachment" in export.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(export.text)))
    by_listing = {r["listing_id"]: r for r in rows if r["by"] == "listing"}
    assert (by_listing[str(first)]["total"], by_listing[str(first)]["unique"]) == ("2", "2")
    assert {r["what"] for r in rows if r["by"] == "article"} == {
        "/cortexin-review.html",
        "(no referring page)",
    }


@pytest.mark.parametrize(
    ("text", "cell"),
    [("=1+1", "'=1+1"), ("@SUM(A1)", "'@SUM(A1)"), ("-2", "'-2"), ("+x", "'+x"), ("ok", "ok")],
)
def test_csv_cells_are_never_formulas(text: str, cell: str) -> None:
    assert csv_cell(text) == cell


def test_held_decisions_on_unknown_listings(client: TestClient) -> None:
    token = login(client)
    response = client.post("/admin/held/999999/accept", data={"csrf": token})
    assert "no listing with id 999999" in response.text
    assert client.post("/admin/held/1/delete", data={"csrf": token}).status_code == 404
    long = client.post("/admin/held/" + "9" * 5000 + "/accept", data={"csrf": token})
    assert long.status_code == 404
    assert HELD[0] in client.get("/admin/").text


def test_one_client_cannot_fill_the_clicks_table(client: TestClient, seeded: Store) -> None:
    first = listing_id(seeded, "cosmicnootropic", "10 vials x 10 mg")
    for number in range(30):  # another user agent each time: another visitor each time
        agent = {"User-Agent": f"{BROWSER} build/{number}"}
        assert client.get(f"/go/{first}", headers=agent, follow_redirects=False).status_code == 302
    with seeded.sessions.begin() as session:
        assert click_counts(session) == {first: 20}  # at most 20 a minute from one address
