"""What a new user met in the first hour (issue 27): chart axes and the admin's console."""

import time

from .conftest import login

# Every text drawn on each canvas since the canvas was last cleared (uPlot clears it before each draw).
RECORD_TEXT = """
window.__texts = new Map();
const fillText = CanvasRenderingContext2D.prototype.fillText, clearRect = CanvasRenderingContext2D.prototype.clearRect;
CanvasRenderingContext2D.prototype.clearRect = function () {
  window.__texts.set(this.canvas, []);
  return clearRect.apply(this, arguments);
};
CanvasRenderingContext2D.prototype.fillText = function (text) {
  if (!window.__texts.has(this.canvas)) window.__texts.set(this.canvas, []);
  window.__texts.get(this.canvas).push(String(text));
  return fillText.apply(this, arguments);
};
"""


def nearly_flat(n=30):
    """An early history whose hashrate and temperature barely move (a tenth of a unit)."""
    now = int(time.time())
    wobble = [(-1) ** k * 0.2 for k in range(n)]
    return {"t": [now - 60 * (n - k) for k in range(n)], "hs": [17000 + w for w in wobble],
            "hs_now": [17000 - w for w in wobble], "temp": [65 + w / 10 for w in wobble], "rej_pct": [0.0] * n,
            "hw_pct": [0.0] * n, "pool": [0] * n, "state": ["ok"] * n, "devices": {}}


def test_a_nearly_flat_line_never_shows_one_axis_label_twice(server, page):
    page.add_init_script(RECORD_TEXT)
    page.route("**/history/rigs/*.json*", lambda route: route.fulfill(json=nearly_flat()))
    login(page, server, "usruser", "usr-pass-123")
    page.goto(server + "/rigs/1/")
    page.wait_for_selector("section.charts .chart canvas", timeout=15000)
    page.wait_for_timeout(300)
    texts = page.evaluate("Array.from(document.querySelectorAll('section.charts .chart canvas'))"
                          ".map(c => (window.__texts.get(c) || []).filter(t => t))")
    hashrate, temperature = ([t for t in texts[i] if t.endswith(unit)] for i, unit in ((0, "H/s"), (1, "°C")))
    assert len(hashrate) >= 2 and len(temperature) >= 2, texts
    assert len(set(hashrate)) == len(hashrate), hashrate
    assert len(set(temperature)) == len(temperature), temperature


def test_the_admin_index_loads_without_a_console_error(server, page):
    errors, missing = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
    login(page, server, "sysuser", "sys-pass-123")
    page.goto(server + "/admin/")
    page.wait_for_load_state("networkidle")
    assert "Site administration" in page.content()
    assert missing == [] and errors == []
