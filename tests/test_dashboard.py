"""The dashboard in a real browser: headless Chromium (the system's /usr/bin/chromium)
driven by Playwright, against the app served by uvicorn on a loopback port.

Set ``GIGAWATT_SCREENSHOT_DIR=docs`` to retake the README's screenshots (``make
screenshots``); otherwise they go to a temporary folder.
"""

from __future__ import annotations

import csv
import io
import json
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
from gigawatt.catalog.sources import get as source_of
from gigawatt.pipeline import plan
from gigawatt.report.html import render_sweep_html, write_html
from gigawatt.report.tables import split_links
from gigawatt.scenario import DEFAULT_SCENARIO, load_scenario
from gigawatt.store import RunStore
from gigawatt.sweep import sweep

expect.set_options(timeout=20_000)  # a first plan on two busy cores takes some seconds
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

        def only_local(route):  # every asset must come from the server (or the report's folder)
            if route.request.url.startswith((server.base, "data:", "blob:", "file:")):
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


def screenshot(page: Page, name: str, tmp_path: Path, max_height: int = 2200,
               start: str | None = None) -> None:
    """A screenshot of ``max_height`` pixels of the page, from its top or from the element
    ``start`` (the README shows these)."""
    folder = Path(os.environ.get("GIGAWATT_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or {"width": 1400, "height": 1000}
    top = page.locator(start).first.evaluate(
        "e => e.getBoundingClientRect().top + window.scrollY") if start else 0
    height = min(max_height, page.evaluate("document.documentElement.scrollHeight") - top)
    page.screenshot(path=str(folder / name), full_page=True,
                    clip={"x": 0, "y": top, "width": size["width"], "height": height})
    assert (folder / name).stat().st_size > 10_000


def downloaded(page: Page, selector: str) -> str:
    """Click ``selector`` and return the text of the file the browser saves."""
    with page.expect_download() as info:
        page.click(selector)
    return Path(info.value.path()).read_text(encoding="utf-8")


def boxes_overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def y2_ticks(page: Page, chart: str) -> list[str]:
    return page.locator(f"{chart} g.y2tick text").all_text_contents()


def test_plan_page_draws_tables_first_then_charts_and_exports(page, server, tmp_path):
    held = []  # hold plotly.js back: the tables must not wait for the 4.6 MB chart library

    def hold(route):
        held.append(route)

    page.route("**/assets/plotly.min.js", hold)
    page.goto(server.base + "/")
    headline = page.locator("#plan-result table.headline")
    expect(headline).to_contain_text("Facility power online")
    expect(headline).to_contain_text("10.00 GW")
    expect(page.locator("#plan-result table.timeline tbody tr").first).to_be_visible()
    assert page.locator("[data-chart] .main-svg").count() == 0
    assert len(held) == 1
    held[0].continue_()
    page.unroute("**/assets/plotly.min.js")
    for name in ("power", "gpus", "capex", "compute", "network"):  # plotly drew each one
        expect(page.locator(f'[data-chart="{name}"] .main-svg').first).to_be_visible()
        expect(page.locator(f'[data-chart="{name}"] g.trace').first).to_be_attached()

    # Only the verdict cell of a claim row is coloured.
    claims = page.locator("#plan-result table.claims")
    expect(claims.locator("td.verdict.within").first).to_be_visible()
    assert claims.locator("tr.within, tr.below, tr.above").count() == 0
    expect(claims.locator("a[href^='http']").first).to_be_attached()

    # The export is the plan's JSON and its timeline as CSV; the tables show the same rows.
    doc = json.loads(downloaded(page, "#plan-result .export-json"))
    assert doc["scenario"] == DEFAULT_SCENARIO and "view" not in doc
    rows = list(csv.DictReader(io.StringIO(downloaded(page, "#plan-result .export-csv"))))
    assert [r["period"] for r in rows] == [t["period"] for t in doc["timeline"]]
    expect(page.locator("#plan-result table.timeline tbody tr")).to_have_count(
        len(doc["timeline"]))
    assumptions = page.locator("#plan-result table.assumptions")
    expect(assumptions.locator("tbody tr")).to_have_count(len(doc["assumptions"]))
    # Each address and each S-number of the bibliography is a link, where it is cited.
    cited = [p for a in doc["assumptions"] for p, source in split_links(a["source"] or "")
             if source]
    assert len(cited) > 10
    expect(assumptions.locator("a[href^='http']")).to_have_count(len(cited))
    expect(page.locator("#plan-result table.sources tbody tr").first).to_be_visible()

    # The toolbar shows on hover above the plot, and never over the title.
    chart = page.locator('[data-chart="capex"]')
    chart.hover()
    bar = chart.locator(".modebar").first
    expect(bar).to_be_visible()
    assert not boxes_overlap(bar.bounding_box(), chart.locator(".gtitle").bounding_box())
    assert all(not t.startswith(("-", "\u2212")) for t in y2_ticks(page, '[data-chart="network"]'))
    expect(page.locator("#plan-status")).to_contain_text("not saved")
    screenshot(page, "dashboard.png", tmp_path)
    assert server.store.list_runs() == []


def test_optimised_plan_shows_sites_limits_and_no_negative_power(page, server, tmp_path):
    page.goto(server.base + "/#plan")
    expect(page.locator("#plan-result table.headline")).to_be_visible()
    page.select_option("#plan-scenario", "stargate-2025")
    expect(page.locator("#plan-title")).to_contain_text("Stargate")
    expect(page.locator("#plan-result table.sites tbody tr").first).to_contain_text("stargate-")
    expect(page.locator("#plan-result table.binding tbody tr").first).to_be_visible()
    network = '[data-chart="network"]'
    expect(page.locator(f"{network} g.y2tick").first).to_be_attached()
    ticks = y2_ticks(page, network)
    assert ticks and all(not t.startswith(("-", "\u2212")) for t in ticks), ticks
    screenshot(page, "dashboard-sites.png", tmp_path, max_height=1600,
               start="#plan-result h3:has-text('Timeline')")


def test_structured_editor_typed_fields_every_error_run_names_and_yaml(page, server, tmp_path):
    page.goto(server.base + "/#editor")
    pue = page.locator('[data-path="facility.pue.value"]')
    expect(pue).to_have_value("1.15")
    assert pue.get_attribute("type") == "number"
    assert (pue.get_attribute("min"), pue.get_attribute("max")) == ("1", "3")
    expect(page.locator("#editor-name")).to_have_value(f"{DEFAULT_SCENARIO}-edited")
    system = page.locator('[data-path="ramp.steps[0].system"]')  # a catalog ID: a dropdown
    assert system.evaluate("e => e.tagName") == "SELECT"
    assert "vr-nvl72" in system.locator("option").all_inner_texts()
    assert page.locator('[data-path="serving.model"]').evaluate("e => e.tagName") == "SELECT"
    # Where figures come from is shown, not edited: no inputs for sources, notes or status.
    assert page.locator("#editor-form :is(input, textarea, select)[data-path$='source'], "
                        "#editor-form :is(input, textarea, select)[data-path$='note'], "
                        "#editor-form :is(input, textarea, select)[data-path^='sources'], "
                        "#editor-form :is(input, textarea, select)[data-path$='status']"
                        ).count() == 0
    expect(page.locator("#editor-form .prov a[href^='http']").first).to_be_attached()

    # Three errors at once: each message appears at its own field.
    pue.fill("9")
    utilisation = page.locator('[data-path="facility.utilisation.value"]')
    utilisation.fill("1.5")
    page.fill("#editor-name", "Not A Name")
    expect(pue.locator("xpath=..").locator(".field-error")).to_contain_text(
        "out of range; accepted: [1, 3]")
    expect(utilisation.locator("xpath=..").locator(".field-error")).to_contain_text(
        "out of range; accepted: [0, 1]")
    expect(page.locator("#editor-name-error .field-error")).to_contain_text("pattern")
    expect(pue).to_have_class("invalid")
    expect(page.locator("#editor-errors")).to_be_empty()
    pue.fill("1.3")
    utilisation.fill("0.8")
    page.fill("#editor-name", "pue-1-3")
    expect(page.locator("#page-editor .field-error")).to_have_count(0)
    expect(page.locator("#editor-form .prov .status.input").first).to_be_visible()

    # Ramp steps can be added (at the next half-year) and removed.
    steps = page.locator('#editor-form fieldset[data-path="ramp.steps"] tbody tr')
    count = steps.count()
    last_period = page.locator(f'[data-path="ramp.steps[{count - 1}].period"]').input_value()
    page.click('#editor-form fieldset[data-path="ramp.steps"] button.add')
    expect(steps).to_have_count(count + 1)
    added = page.locator(f'[data-path="ramp.steps[{count}].period"]').input_value()
    year, half = int(last_period[:4]), last_period[-1]
    assert added == (f"{year}H2" if half == "1" else f"{year + 1}H1")
    page.click(f'button[aria-label="remove ramp.steps[{count}]"]')
    expect(steps).to_have_count(count)

    page.click("#editor-run")
    first = page.locator("#editor-result .run-id")
    expect(first).to_be_visible()
    run_a = first.inner_text()
    expect(page.locator("#editor-result .run-name")).to_have_text("pue-1-3")
    expect(page.locator("#editor-result [data-chart] .main-svg").first).to_be_visible()

    page.fill("#editor-name", "ramp-12gw")
    page.fill('[data-path="ramp.steps[6].facility_gw"]', "12")
    yaml_text = downloaded(page, "#editor-yaml")
    assert "name: ramp-12gw" in yaml_text and "facility_gw: 12" in yaml_text
    page.click("#editor-run")
    expect(page.locator("#editor-result .run-id")).not_to_have_text(run_a)
    run_b = page.locator("#editor-result .run-id").inner_text()
    expect(page.locator("#editor-result table").first).to_contain_text("12.00 GW")
    saved = {r["run_id"]: r["scenario"] for r in server.store.list_runs()}
    assert saved == {run_a: "pue-1-3", run_b: "ramp-12gw"}  # each under its own name
    screenshot(page, "dashboard-editor.png", tmp_path)

    page.click("text=compare runs")
    page.select_option("#compare-a", run_a)
    page.select_option("#compare-b", run_b)
    page.click("#compare-go")
    changed = page.locator("#compare-result table.inputs tr.changed")
    expect(changed.filter(has_text="ramp.steps[6].facility_gw")).to_have_count(1)
    row = changed.filter(has_text="ramp.steps[6].facility_gw")
    expect(row.locator("td").nth(1)).to_have_text("10")
    expect(row.locator("td").nth(2)).to_have_text("12")
    facility = page.locator("#compare-result table.outputs tr", has_text="Facility power online")
    expect(facility).to_have_class("changed")
    expect(facility).to_contain_text("10.00 GW")
    expect(facility).to_contain_text("12.00 GW")
    investment = page.locator("#compare-result table.outputs tr", has_text="Investment released")
    expect(investment).not_to_have_class("changed")  # $100B either way: not highlighted
    screenshot(page, "dashboard-compare.png", tmp_path)


def test_editor_draws_an_optimised_buildout_with_its_lists_and_maps(page, server):
    page.goto(server.base + "/#editor")
    expect(page.locator("#editor-form fieldset").first).to_be_visible()
    page.select_option("#editor-base", "stargate-2025")
    page.click("#editor-load")
    sites = page.locator('#editor-form select[data-path^="buildout.sites["]')
    expect(sites).to_have_count(len(load_scenario("stargate-2025")[0].buildout.sites))
    count = sites.count()
    page.click('#editor-form fieldset[data-path="buildout.sites"] > button.add')
    expect(sites).to_have_count(count + 1)
    expect(page.locator('#editor-form fieldset[data-path="buildout.platforms.vr-nvl72"]')
           ).to_be_visible()
    expect(page.locator("#editor-name")).to_have_value("stargate-2025-edited")


def test_sweep_page_shows_quantiles_tornado_and_marked_histograms(page, server, tmp_path):
    page.goto(server.base + "/#sweep")
    page.fill("#sweep-samples", "0")
    page.click("#sweep-run")
    expect(page.locator("#sweep-samples")).to_have_class("invalid")
    expect(page.locator('#sweep-errors [data-field="samples"]')).to_be_visible()
    page.fill("#sweep-samples", "24")
    page.click("#sweep-run")
    expect(page.locator("#sweep-result table.quantiles")).to_contain_text("capex_usd")
    tornado = page.locator('[data-chart="tornado-capex_usd"]')
    expect(tornado.locator("g.trace.bars").first).to_be_attached()
    histogram = page.locator('[data-chart="histogram-capex_usd"]')
    expect(histogram.locator(".annotation-text", has_text="P50")).to_have_count(1)
    expect(histogram.locator(".annotation-text", has_text="P10")).to_have_count(1)
    expect(page.locator("#sweep-result")).to_contain_text("not saved")
    screenshot(page, "dashboard-sweep.png", tmp_path)


def test_train_and_infer_pages_estimate_and_name_bad_fields(page, server, tmp_path):
    page.goto(server.base + "/#train")
    result = page.locator("#train-result table.result")
    expect(result).to_contain_text("mfu")
    for choice in ("gpu", "model", "precision", "schedule"):  # dropdowns
        assert page.locator(f"#tool-{choice}").evaluate("e => e.tagName") == "SELECT", choice
    # recompute takes layers:N too, so it is a text field checked against the API's pattern
    assert page.locator("#tool-recompute").evaluate("e => e.tagName") == "INPUT"
    page.fill("#tool-gpus", "0")
    page.click("#train-run")
    expect(page.locator("#train-form .field-error[data-field='gpus']")).to_be_visible()
    page.fill("#tool-gpus", "2048")
    page.click("#train-run")
    expect(result).to_contain_text("step_time_s")
    screenshot(page, "dashboard-train.png", tmp_path)

    page.goto(server.base + "/#infer")
    expect(page.locator("#infer-result table.result")).to_contain_text("tokens_per_s_per_gpu")
    screenshot(page, "dashboard-infer.png", tmp_path)


def test_catalog_browser_shows_each_entry_source(page, server, tmp_path):
    page.goto(server.base + "/#catalog")
    rows = page.locator("#catalog-list tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() > 20
    page.fill("#catalog-filter", "vr-nvl72")
    row = page.locator("#catalog-list tbody tr", has=page.get_by_role(
        "cell", name="vr-nvl72", exact=True))
    expect(row).to_contain_text("S22")  # the source column, linked to the bibliography's row
    expect(row.locator("a", has_text="S22")).to_have_attribute("href", source_of("S22").url)
    row.click()
    entry = page.locator("#catalog-entry")
    expect(entry.locator("h2")).to_contain_text("vr-nvl72")
    expect(entry).to_contain_text("Source:")
    expect(entry).to_contain_text("Ranges given by sources")
    expect(entry).to_contain_text("rack_power_kw")
    screenshot(page, "dashboard-catalog.png", tmp_path)


WIDER_THAN_SCREEN = """() => {
  const outside = [...document.querySelectorAll("body *")].filter((e) => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.right > window.innerWidth + 0.5 && !e.closest(".scroll *");
  }).map((e) => `${e.tagName}.${e.className}#${e.id}`);
  return [document.documentElement.scrollWidth, window.innerWidth, outside.slice(0, 5)];
}"""
"""The page's width, the screen's, and the first elements that stick out (not counting those
inside a box that scrolls sideways, or a chart)."""


def test_narrow_screen_pages_do_not_overflow(page, server, tmp_path):
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        ready = {"plan": "#plan-result table.headline", "editor": "#editor-form fieldset",
                 "sweep": "#sweep-run", "train": "#train-result table",
                 "infer": "#infer-result table", "compare": "#compare-go",
                 "catalog": "#catalog-list table"}
        for name, selector in ready.items():
            page.goto(f"{server.base}/#{name}")
            expect(page.locator(selector).first).to_be_visible()
            width = page.evaluate(WIDER_THAN_SCREEN)
            assert width[0] <= width[1], (name, width)
            if name == "plan":
                expect(page.locator('[data-chart="power"] .main-svg').first).to_be_visible()
                screenshot(page, "dashboard-narrow.png", tmp_path, max_height=1800)
    finally:
        page.set_viewport_size({"width": 1400, "height": 1000})


def test_reports_open_offline_with_their_charts(page, server, tmp_path):
    folder = tmp_path / "reports"
    scenario = load_scenario("stargate-2025")[0]
    report = write_html(plan(scenario).to_dict(), folder / "stargate-2025.html")
    page.goto(report.as_uri())
    network = page.locator(".plotly-graph-div").nth(4)
    expect(network.locator("g.y2tick").first).to_be_attached()
    ticks = network.locator("g.y2tick text").all_text_contents()
    assert all(not t.startswith(("-", "\u2212")) for t in ticks), ticks
    expect(page.locator("td.within, td.below, td.above, td.not-reached").first).to_be_visible()
    screenshot(page, "report.png", tmp_path)

    result = sweep(load_scenario(DEFAULT_SCENARIO)[0], samples=24, seed=0).to_dict()
    page.goto(write_html(result, folder / "sweep.html", render_sweep_html).as_uri())
    expect(page.locator(".plotly-graph-div .annotation-text", has_text="P90").first
           ).to_be_attached()
    screenshot(page, "report-sweep.png", tmp_path)
