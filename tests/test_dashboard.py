"""The dashboard in a real browser: headless Chromium (the system's /usr/bin/chromium)
driven by Playwright, against the app served by uvicorn on a loopback port.

Set ``GIGAWATT_SCREENSHOT_DIR`` to keep the screenshots (the README's comes from here).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

from gigawatt.api import ServiceSettings, create_app
from gigawatt.store import RunStore

CHROMIUM = os.environ.get("GIGAWATT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


@dataclass
class Server:
    base: str
    store: RunStore


@dataclass
class Browser:
    context: BrowserContext
    page: Page
    outside: list[str] = field(default_factory=list)  # requests that left the server
    errors: list[str] = field(default_factory=list)  # uncaught script errors


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    store_path = tmp_path_factory.mktemp("dashboard") / "runs.duckdb"
    app = create_app(ServiceSettings(store_path=store_path))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="none"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield Server(f"http://127.0.0.1:{port}", RunStore(store_path))
    uv.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture(scope="module")
def browser(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM,
            headless=True, args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 1000})
        page = context.pages[0] if context.pages else context.new_page()
        b = Browser(context, page)

        def only_local(route):  # every asset must come from the server itself
            if route.request.url.startswith(server.base) or route.request.url.startswith(
                    "data:"):
                route.continue_()
            else:
                b.outside.append(route.request.url)
                route.abort()

        context.route("**/*", only_local)
        page.on("pageerror", lambda exc: b.errors.append(str(exc)))
        page.set_default_timeout(20_000)
        yield b
        context.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    yield browser.page
    assert browser.outside == [], "the dashboard loaded something from outside"
    assert browser.errors == [], "the dashboard's script failed"


def screenshot(page: Page, name: str, tmp_path: Path) -> None:
    folder = Path(os.environ.get("GIGAWATT_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name), full_page=True)
    assert (folder / name).stat().st_size > 10_000


def test_plan_page_shows_headline_claims_and_charts(page, server, tmp_path):
    page.goto(server.base + "/")
    for name in ("power", "gpus", "capex", "compute"):  # plotly drew each one, with traces
        expect(page.locator(f'[data-chart="{name}"] .main-svg').first).to_be_visible()
        expect(page.locator(f'[data-chart="{name}"] g.trace').first).to_be_attached()
    headline = page.locator("#plan-result table").first
    expect(headline).to_contain_text("Facility power online")
    expect(headline).to_contain_text("10.00 GW")
    expect(page.locator("#plan-result table.claims tbody tr.within").first).to_be_visible()
    expect(page.locator("#plan-status")).to_contain_text("not saved")
    screenshot(page, "dashboard.png", tmp_path)
    assert server.store.list_runs() == []


def test_edit_a_scenario_run_it_and_compare_two_runs(page, server, tmp_path):
    page.goto(server.base + "/#editor")
    pue = page.locator('[data-path="facility.pue.value"]')
    expect(pue).to_have_value("1.15")

    pue.fill("9")  # out of range: the message appears next to the field
    message = pue.locator("xpath=..").locator(".field-error")
    expect(message).to_contain_text("out of range; accepted: [1, 3]")
    expect(pue).to_have_class("invalid")
    pue.fill("1.3")
    expect(message).to_have_count(0)

    page.click("#editor-run")
    first = page.locator("#editor-result .run-id")
    expect(first).to_be_visible()
    run_a = first.inner_text()
    expect(page.locator("#editor-result [data-chart] .main-svg").first).to_be_visible()

    page.fill('[data-path="ramp.steps[6].facility_gw"]', "12")
    page.click("#editor-run")
    expect(page.locator("#editor-result .run-id")).not_to_have_text(run_a)
    run_b = page.locator("#editor-result .run-id").inner_text()
    expect(page.locator("#editor-result table").first).to_contain_text("12.00 GW")
    assert {r["run_id"] for r in server.store.list_runs()} == {run_a, run_b}

    page.click("text=compare runs")
    page.select_option("#compare-a", run_a)
    page.select_option("#compare-b", run_b)
    page.click("#compare-go")
    changed = page.locator("#compare-result table.inputs tr.changed")
    expect(changed).to_have_count(1)
    expect(changed).to_contain_text("ramp.steps[6].facility_gw")
    expect(changed.locator("td").nth(1)).to_have_text("10")
    expect(changed.locator("td").nth(2)).to_have_text("12")
    facility = page.locator("#compare-result table.outputs tr", has_text="Facility power online")
    expect(facility).to_have_class("changed")
    expect(facility).to_contain_text("10.00 GW")
    expect(facility).to_contain_text("12.00 GW")
    investment = page.locator("#compare-result table.outputs tr", has_text="Investment released")
    expect(investment).not_to_have_class("changed")  # $100B either way: not highlighted
    screenshot(page, "dashboard-compare.png", tmp_path)


def test_catalog_browser_shows_each_entry_source(page, server):
    page.goto(server.base + "/#catalog")
    rows = page.locator("#catalog-list tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() > 20
    page.fill("#catalog-filter", "vr-nvl72")
    row = page.locator("#catalog-list tbody tr", has=page.get_by_role(
        "cell", name="vr-nvl72", exact=True))
    expect(row).to_contain_text("S22")  # the source column
    row.click()
    entry = page.locator("#catalog-entry")
    expect(entry.locator("h2")).to_contain_text("vr-nvl72")
    expect(entry).to_contain_text("Source:")
    expect(entry).to_contain_text("Ranges given by sources")
    expect(entry).to_contain_text("rack_power_kw")
