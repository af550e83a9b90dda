"""report.html in a real browser (headless Chromium through Selenium), as a reader sees it.

Needs Debian's ``chromium`` and ``chromium-driver`` (ci/test.sh installs them). Without
them the tests fail with the command that installs them; they are never skipped.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from report_run import FIXTURE_RUN, SCRIPT_ERROR, add_failed_record

from polybench import records, report

pytestmark = pytest.mark.browser

CHROMIUM = ("chromium", "chromium-browser")
DRIVER = "chromedriver"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The committed run folder plus a failed record with a script in its error, reported."""
    run_dir = tmp_path_factory.mktemp("browser") / "run"
    shutil.copytree(FIXTURE_RUN, run_dir)
    add_failed_record(run_dir)
    report.build([run_dir], run_dir)
    return run_dir


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium with its console log readable."""
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    binary = next(filter(None, (shutil.which(name) for name in CHROMIUM)), None)
    driver_path = shutil.which(DRIVER)
    if binary is None or driver_path is None:
        pytest.fail(
            "chromium or chromedriver is not installed: run `bash ci/test.sh` (as root it installs "
            "Debian's chromium and chromium-driver with apt-get)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,1800",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(driver_path), options=options)
    except WebDriverException as exc:
        pytest.fail(f"chromium could not start: {exc.msg}")
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def page(browser, built):
    """report.html opened from disk; the console log as it was after loading."""
    browser.get((built / "report.html").as_uri())
    return browser, browser.get_log("browser")


def _visible(element) -> bool:
    return element.is_displayed()


def test_page_loads_without_console_errors_and_renders_every_image(page, built, tmp_path):
    browser, log = page
    assert [entry for entry in log if entry["level"] == "SEVERE"] == []
    images = browser.find_elements("css selector", "img, svg")
    assert len(images) == len(list((built / "charts").glob("*.png")))
    for image in images:
        size = image.size
        assert size["width"] > 0 and size["height"] > 0, image.get_attribute("alt")
        assert browser.execute_script("return arguments[0].naturalWidth", image) > 0, image.get_attribute("alt")
    browser.save_screenshot(str(tmp_path / "report.png"))
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_results_table_has_one_row_per_cell_and_filters(page, built):
    browser, _ = page
    cells = {(r.model, r.framework, r.mode) for r in records.read_records([built])}
    rows = browser.find_elements("css selector", "#results-table tbody tr")
    assert len(rows) == len(cells)
    assert {
        (r.get_attribute("data-model"), r.get_attribute("data-framework"), r.get_attribute("data-mode")) for r in rows
    } == cells
    select = browser.find_element("css selector", '.filters select[name="framework"]')
    select.find_element("css selector", 'option[value="mxnet"]').click()
    shown = [r for r in rows if _visible(r)]
    assert len(shown) == sum(1 for cell in cells if cell[1] == "mxnet") > 0
    assert all(r.find_elements("tag name", "td")[1].text == "mxnet" for r in shown)
    assert browser.find_element("id", "shown-count").text == str(len(shown))
    select.find_element("css selector", 'option[value=""]').click()
    assert sum(1 for r in rows if _visible(r)) == len(cells)


def test_sorting_by_a_column_reorders_the_rows(page):
    browser, _ = page
    header = browser.find_element("xpath", '//table[@id="results-table"]//th[text()="framework"]')
    header.click()
    names = [
        r.find_elements("tag name", "td")[1].text
        for r in browser.find_elements("css selector", "#results-table tbody tr")
    ]
    assert names == sorted(names)
    header.click()
    names = [
        r.find_elements("tag name", "td")[1].text
        for r in browser.find_elements("css selector", "#results-table tbody tr")
    ]
    assert names == sorted(names, reverse=True)


def test_each_framework_tab_shows_that_frameworks_source(page, built):
    browser, _ = page
    recs = [r for r in records.read_records([built]) if r.status == "ok"]
    for record in recs:
        model, framework = record.model, record.framework
        section = browser.find_element("id", f"model-{model}")
        tab = section.find_element("css selector", f'.tab[data-framework="{framework}"]')
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", tab)
        tab.click()
        panels = section.find_elements("css selector", ".code-panel")
        shown = [p for p in panels if _visible(p)]
        assert [p.get_attribute("data-framework") for p in shown] == [framework]
        path = f"polybench/frameworks/{framework}/{model}.py"
        source = record.environment["sources"][path]
        first_code_line = next(line for line in source.splitlines()[1:] if line.startswith(("import", "from")))
        assert path in shown[0].text and first_code_line in shown[0].text
        assert f"{record.implementation_loc} lines of code" in shown[0].text


def test_notebook_links_resolve_to_files(page, built):
    browser, _ = page
    links = browser.find_elements("css selector", "#results-table a.notebook")
    assert len(links) == sum(1 for r in records.read_records([built]) if r.status == "ok")
    for link in links:
        target = Path(link.get_attribute("href")[len("file://") :])
        assert target.is_file() and target.is_relative_to(built / "notebooks_html")


def test_script_in_an_error_is_shown_as_text_and_never_runs(page):
    browser, _ = page
    assert browser.execute_script("return window.polybenchInjected === undefined")
    failures = browser.find_element("id", "runs-that-did-not-finish").text
    assert SCRIPT_ERROR in failures
    row = browser.find_element("css selector", '#results-table tr[data-framework="chainer"]')
    assert "<script>window.polybenchInjected = 1;</script>" in row.text
