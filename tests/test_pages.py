"""The HTML pages: the atlas's and each report's, self-contained; in a real browser (headless Chromium from
Debian's packages, installed by scripts/setup.sh test) each loads from its file with no console error, a
click on an atlas cell shows that pairing's curves, and every figure of a report page is drawn."""

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from experiments.analysis.atlas.page import PAGE
from experiments.analysis.render.report_page import PAGE as REPORT_PAGE

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "results" / "atlas" / PAGE
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


def _page_data(text):
    start = text.index('id="atlas-data">') + len('id="atlas-data">')
    return json.loads(text[start : text.index("</script>", start)].replace("<\\/", "</"))


def test_the_committed_page_is_self_contained_and_holds_every_cell():
    text = COMMITTED.read_text(encoding="utf-8")
    # No script, style or image is fetched from anywhere: the page opens offline, from the file.
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=|<img[^>]+src=", text)
    data = _page_data(text)
    tables = sorted((ROOT / "results" / "atlas" / "tables").glob("atlas_*.csv"))
    assert sorted(data["heatMaps"]) == sorted(p.stem.removeprefix("atlas_") for p in tables)
    for table in tables:
        task = table.stem.removeprefix("atlas_")
        rows = len(table.read_text().strip().splitlines()) - 1
        assert sum(key.startswith(f"{task}|") for key in data["cells"]) == rows  # a cell per row of its table
    trained = [c for c in data["cells"].values() if c["traces"]]
    assert trained and all(any(t["name"].startswith("mean of") for t in c["traces"]) for c in trained)


@pytest.fixture
def browser():
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("headless Chromium and its driver are not installed (scripts/setup.sh test installs them)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument("--disable-background-networking")
    options.add_argument("--window-size=1400,1100")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.mark.slow
def test_the_page_opens_from_the_file_and_a_click_shows_the_cells_curves(browser, tmp_path):
    from selenium.webdriver.common.actions.action_builder import ActionBuilder
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from experiments.composition import LOSS_FORMS, OUTPUT_ACTIVATIONS

    page = tmp_path / PAGE  # a copy away from the repository: nothing beside it to load
    shutil.copy(COMMITTED, page)
    browser.get(page.as_uri())
    wait = WebDriverWait(browser, 60)
    plot_area = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#heat-bird_plane .nsewdrag"))
    left, top, width, height = browser.execute_script(
        "arguments[0].scrollIntoView({block: 'center'}); const b = arguments[0].getBoundingClientRect();"
        "return [b.left, b.top, b.width, b.height];",
        plot_area,
    )
    row, column = list(OUTPUT_ACTIVATIONS).index("sigmoid"), list(LOSS_FORMS).index("bce")
    click = ActionBuilder(browser)  # a real pointer: moved onto the cell (Plotly hovers it), then pressed
    click.pointer_action.move_to_location(
        round(left + (column + 0.5) / len(LOSS_FORMS) * width),
        round(top + (row + 0.5) / len(OUTPUT_ACTIVATIONS) * height),
    )
    click.pointer_action.pause(0.3)
    click.pointer_action.click()
    click.perform()
    wait.until(lambda d: d.find_element(By.ID, "info-bird_plane").text.startswith("sigmoid+bce on"))
    info = browser.find_element(By.ID, "info-bird_plane").text
    assert "learns" in info and "BinaryAccuracy" in info
    names = browser.execute_script(
        "return document.getElementById('detail-bird_plane').data.map(t => [t.name, t.y.length]);"
    )
    assert ["mean of 3 seeds", 14] in names  # 13 epochs and the untrained model's epoch 0
    assert sum(name.startswith("seed ") for name, _ in names) == 3
    assert any(name == "planes (1)" for name, _ in names) and any(name.startswith("|dL/dz|") for name, _ in names)
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
    browser.execute_script("document.getElementById('info-bird_plane').scrollIntoView({block: 'start'});")
    shot = Path(os.environ.get("ATLAS_SCREENSHOT", tmp_path / "atlas.png"))
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000


REPORTS = [ROOT / "results" / name / REPORT_PAGE for name in ("confirmatory", "full", "quick")]


@pytest.mark.parametrize("page", REPORTS, ids=[p.parent.name for p in REPORTS])
def test_each_report_page_links_to_files_that_exist(page):
    text = page.read_text(encoding="utf-8")
    assert "<script" not in text and not re.search(r"(src|href)=\"https?:", text)
    for target in re.findall(r'src="([^"]+)"', text):
        assert (page.parent / target).is_file(), target
    anchors = set(re.findall(r'id="([^"]+)"', text))
    assert set(re.findall(r'href="#([^"]+)"', text)) <= anchors  # every claim's figure link lands
    assert 'href="REPORT.md"' in text


@pytest.mark.slow
def test_a_report_page_draws_every_figure_in_the_browser(browser):
    page = REPORTS[0]
    browser.get(page.as_uri())
    drawn = browser.execute_script("return Array.from(document.images).map(i => i.complete && i.naturalWidth > 0);")
    assert drawn and all(drawn)
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors


def test_the_atlas_page_opens_on_bird_plane_defines_its_classes_and_marks_the_posts_cell():
    from experiments.analysis.atlas.cells import CLASSES
    from experiments.pairings import documented_pairing

    text = COMMITTED.read_text(encoding="utf-8")
    body = re.sub(r"<script.*?</script>", "", text, flags=re.S)
    headings = re.findall(r"<h2>(.*?)</h2>", body)
    assert headings[0] == "How to read a cell" and headings[1].startswith("Bird vs airplane")
    for name in CLASSES:
        assert f"<dt><b>{name}</b></dt>" in body
    assert "<b>Chance</b> is" in body and re.search(r"\d+ seeds a cell, \d+ epochs", body)
    data = _page_data(text)
    for task, figure in data["heatMaps"].items():
        shapes = figure["layout"]["shapes"]
        assert len(shapes) == 1, task  # the post's cell, outlined
        assert documented_pairing(task).name in figure["layout"]["title"]["text"]


@pytest.mark.parametrize("page", REPORTS, ids=[p.parent.name for p in REPORTS])
def test_each_report_page_shows_each_claims_quote_verdict_and_card_figure_and_says_the_data_once(page):
    import pandas as pd

    text = page.read_text(encoding="utf-8")
    table = pd.read_csv(page.parent / "tables" / "claims.csv")
    for _, row in table[table["effect"].notna()].iterrows():
        section = text.split(f'id="claim-{row["claim"]}"', 1)[1].split("</section>", 1)[0]
        assert f'src="claims/{row["claim"]}.png"' in section and "<blockquote>" in section
        assert f"<strong>{str(row['verdict']).capitalize()}</strong>" in section
    sources = re.findall(r"<li>(.*?)</li>", text.split("The data, once:")[1].split("</ul>")[0])
    assert sources and len(sources) == len({s.rsplit(": ", 1)[0] for s in sources})  # each data source once
