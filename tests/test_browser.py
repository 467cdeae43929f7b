"""report.html in a real headless Chromium (Selenium + Debian's chromium-driver).

Each page is opened from a file:// URL and must show no console error, make no
network request, render every equation and figure with a non-zero size (each
figure with a text alternative) and show the summary on the first screen. A
screenshot of the first screen is kept in ``$DISCOVER_TEST_ARTIFACTS`` (default:
``test-artifacts/browser`` beside the tests' working folder, gitignored).

Skipped, with a message, where selenium, chromium or chromedriver is missing;
``.ci/run`` installs the browser (``apt-get install chromium chromium-driver``).
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import sympy as sp

from discover.findings import Equation, Graph, Spectrum, symbols_for
from discover.report import MethodResult, Report

#: methods too slow for the default suite: their cases run under -m slow
SLOW_METHODS = {"alrnn", "sde"}


def _browser() -> tuple[str | None, str | None]:
    chrome = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
    driver = shutil.which("chromedriver") or next(
        (p for p in ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver") if os.path.exists(p)), None)
    return chrome, driver


@pytest.fixture(scope="module")
def driver():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
    from selenium.webdriver.chrome.service import Service

    chrome, chromedriver = _browser()
    if chrome is None or chromedriver is None:
        pytest.skip("no headless Chromium: apt-get install chromium chromium-driver (.ci/run does)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chrome
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1280,900", "--hide-scrollbars"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    d = webdriver.Chrome(options=opts, service=Service(chromedriver))
    d.set_page_load_timeout(60)
    yield d
    d.quit()


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> Path:
    out = Path(os.environ.get("DISCOVER_TEST_ARTIFACTS", "test-artifacts")) / "browser"
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError:
        out = tmp_path_factory.mktemp("browser")
    return out


_MEASURE = """
const shown = el => !el.closest('details:not([open])');
const box = el => { const r = el.getBoundingClientRect(); return [r.width, r.height]; };
const out = {math: [], figures: [], missing_alt: [], images: []};
for (const m of document.querySelectorAll('math')) if (shown(m)) out.math.push(box(m));
for (const s of document.querySelectorAll('svg')) {
  if (s.parentElement.closest('svg') || !shown(s)) continue;
  out.figures.push(box(s));
  const alt = s.getAttribute('aria-label') || (s.querySelector(':scope > title') || {}).textContent;
  if (!alt) out.missing_alt.push(s.outerHTML.slice(0, 80));
}
for (const i of document.querySelectorAll('img')) if (shown(i)) {
  out.images.push([i.naturalWidth, i.naturalHeight]);
  if (!i.alt) out.missing_alt.push(i.outerHTML.slice(0, 80));
}
const s = document.getElementById('summary');
out.summary_top = s ? s.getBoundingClientRect().top : null;
out.screen = window.innerHeight;
out.page_height = document.documentElement.scrollHeight;
out.overflow = document.documentElement.scrollWidth - window.innerWidth;
return out;
"""


def check_in_browser(driver, report: Report, name: str, folder: Path, artifacts: Path) -> dict:
    out = report.save(folder / name, formats=("json", "html"))
    url = (out / "report.html").resolve().as_uri()
    driver.get_log("performance")  # drop the previous page's events
    driver.get_log("browser")
    driver.get(url)
    m = driver.execute_script(_MEASURE)
    driver.save_screenshot(str(artifacts / f"{name}.png"))
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, f"{name}: console errors {errors}"
    requests = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            requests.append(msg["params"]["request"]["url"])
    foreign = [u for u in requests if u != url and not u.startswith("data:")]
    assert not foreign, f"{name}: network requests {foreign}"
    assert all(w > 0 and h > 0 for w, h in m["math"]), f"{name}: an equation has no size: {m['math']}"
    assert all(w > 0 and h > 0 for w, h in m["figures"]), f"{name}: a figure has no size: {m['figures']}"
    assert all(w > 0 and h > 0 for w, h in m["images"]), f"{name}: an image did not load"
    assert not m["missing_alt"], f"{name}: figures without a text alternative: {m['missing_alt']}"
    assert m["overflow"] <= 1, f"{name}: the page is {m['overflow']} px wider than the window"
    assert m["summary_top"] is not None and 0 <= m["summary_top"] < 0.8 * m["screen"], \
        f"{name}: the summary starts at {m['summary_top']} px of a {m['screen']} px screen"
    return m


def _cases():
    from discover.cases import list_cases

    out = []
    for c in list_cases():
        marks = [pytest.mark.slow] if SLOW_METHODS & set(c.methods or []) else []
        if not c.data_files:
            marks.append(pytest.mark.skip(reason=f"case {c.name} ships no data (its make_data.py writes it)"))
        out.append(pytest.param(c.name, id=c.name, marks=marks))
    return out


@pytest.mark.parametrize("case", _cases())
def test_bundled_case_report_in_chromium(driver, artifacts, tmp_path, case):
    from discover.cases import load_case

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = load_case(case).fit(seed=0)
    m = check_in_browser(driver, report, f"case-{case}", tmp_path, artifacts)
    assert m["math"] or m["figures"], f"{case}: nothing drawn"


def _one_column() -> Report:
    from discover import fit

    t = np.arange(600) * 0.05
    x = np.exp(-0.1 * t) * np.cos(2 * np.pi * t / 3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pandas as pd

        return fit(pd.DataFrame({"t": t, "x": x}), methods=["sindy", "dmd"], seed=0, time="t")


def _thirty_columns() -> Report:
    names = [f"x{i}" for i in range(30)]
    s = symbols_for(names)
    rng = np.random.default_rng(0)
    eqs = [Equation(n, -0.5 * s[n] + 0.2 * s[names[(i + 1) % 30]], method="sindy",
                    metrics={"validation_error": 0.01})
           for i, n in enumerate(names)]
    g = nx.MultiDiGraph()
    g.add_nodes_from(names)
    for i in range(30):
        g.add_edge(names[(i + 1) % 30], names[i], weight=0.2, lag=1, score=float(rng.uniform(0.5, 1)), selected=True)
    lam = np.exp(0.1 * (-0.05 + 1j * np.linspace(-3, 3, 30)))
    runs = {"sindy": MethodResult("sindy", "ok", 2.0, {}, findings=eqs),
            "dynotears": MethodResult("dynotears", "ok", 3.0, {}, findings=[Graph(graph=g, kind="causal",
                                                                                   method="dynotears")]),
            "dmd": MethodResult("dmd", "ok", 0.5, {}, findings=[Spectrum(lam, dt=0.1, method="dmd")])}
    return Report({"source": "thirty.csv", "variables": names, "n_samples": 2000, "dt": 0.1}, runs)


def _failed_method() -> Report:
    x, y = sp.symbols("x y", real=True)
    ok = MethodResult("sindy", "ok", 0.4, {}, findings=[
        # a long equation: it scrolls in its summary cell, the page does not widen
        Equation("x", y + sum(sp.Float(0.01 * k) * sp.Symbol(f"z{k}", real=True) for k in range(1, 40)),
                 method="sindy", metrics={"complexity": 2, "front": [
            {"complexity": 1, "loss": 0.5, "expression": "0"}, {"complexity": 2, "loss": 1e-4, "expression": "y"},
            {"complexity": 5, "loss": 9e-5, "expression": "y + 0.001*x"}]}),
        Equation("y", -x + 0.01 * y, method="sindy",
                 metrics={"reliable": False, "unreliable_reason": "explains 2 % of the held-out variance"})])
    bad = MethodResult("dynotears", "failed", 0.1, {}, error="ValueError: dynotears broke <here>")
    return Report({"source": "failed.csv", "variables": ["x", "y"]}, {"sindy": ok, "dynotears": bad})


def _pictures() -> Report:
    """Every data-beside-finding picture: runs against the data (one held out, one flat),
    a phase portrait, an invariant's drift, a symbolic code's transitions and occupancy."""
    from discover.data import from_arrays
    from discover.findings import Invariant, Simulation, SymbolicCode

    t = 1950 + np.arange(720) / 12
    x = np.c_[np.cos(2 * np.pi * t), -np.sin(2 * np.pi * t)]
    data = from_arrays(x, t=t, names=["x", "v"])
    late = t >= 1998
    s = symbols_for(["x", "v"])
    code = SymbolicCode(("a", "b", "c"), tuple("aaabbc" * 20), maps={}, variables=("x",), method="alrnn")
    runs = {
        "sindy": MethodResult("sindy", "ok", 0.3, {}, findings=[
            Simulation(t[late], 0.95 * x[late], ("x", "v"), method="sindy",
                       metrics={"held_out": True, "start_time": float(t[late][0])})]),
        "dmd": MethodResult("dmd", "ok", 0.1, {}, findings=[
            Simulation(t, np.c_[np.full_like(t, 0.2), x[:, 1]], ("x", "v"), method="dmd")]),
        "conservation": MethodResult("conservation", "ok", 0.1, {}, findings=[
            Invariant(s["x"] ** 2 + s["v"] ** 2, residual=1e-9, confidence=1.0, method="conservation")]),
        "alrnn": MethodResult("alrnn", "ok", 1.0, {}, findings=[code]),
    }
    return Report(data.summary(), runs, data=data)


@pytest.mark.parametrize("make", [_one_column, _thirty_columns, _failed_method, _pictures],
                         ids=lambda f: f.__name__[1:])
def test_awkward_report_in_chromium(driver, artifacts, tmp_path, make):
    report = make()
    check_in_browser(driver, report, make.__name__[1:], tmp_path, artifacts)
    if make is _failed_method:
        text = driver.find_element("id", "summary").text
        assert "no reliable model" in text and "failed" in text
    if make is _pictures:
        sizes = driver.execute_script("""
            const out = {};
            for (const c of ['overlay', 'phase', 'bars', 'graph']) {
              out[c] = [...document.querySelectorAll('svg.' + c)].map(s => {
                const r = s.getBoundingClientRect(); return [r.width, r.height]; });
            }
            out.held = document.querySelectorAll('svg.overlay rect.held-out').length;
            out.flat = document.querySelector('p.flat').getBoundingClientRect().height;
            return out;""")
        # sindy: x and v; dmd: v only (its x is flat: a sentence); the invariant's drift is a plain plot
        assert len(sizes["overlay"]) == 3 and len(sizes["phase"]) == 1 and len(sizes["bars"]) == 1
        assert len(sizes["graph"]) == 1 and sizes["held"] == 2 and sizes["flat"] > 0
        assert all(w > 100 and h > 100 for kind in ("overlay", "phase", "bars", "graph") for w, h in sizes[kind])
