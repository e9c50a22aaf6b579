"""The pages' filter bar (site, rack, tag) in Chromium at 1280 and 390 px: the demo's rigs placed from a CSV
file (test_map_browser's plan: Oslo's racks A1 and B2, one rig in Bergen), the Overview filtered to a site
by the bar, the rows of that site only, the choice kept by the live push and in the other links."""

import pytest

from .conftest import login
from .test_map_browser import placed  # noqa: F401 (the fixture: the rigs placed through the admin)

BOX = ("sel => { const r = document.querySelector(sel).getBoundingClientRect(); "
       "return [r.left, r.top, r.right, r.bottom]; }")
NAMES = "() => Array.from(document.querySelectorAll('#rigs tbody td.rig a')).map(a => a.textContent)"


@pytest.mark.parametrize("width, height", [(1280, 900), (390, 844)])
def test_the_filter_bar_shows_one_sites_rigs_and_the_push_keeps_it(server, browser, placed, width, height):  # noqa: F811
    ctx = browser.new_context(viewport={"width": width, "height": height},
                              color_scheme="dark" if width < 600 else "light")
    page = ctx.new_page()
    login(page, server, "usruser", "usr-pass-123")
    page.goto(f"{server}/overview/")
    page.wait_for_selector("form.scope-bar select[name=site]")
    everyone = page.evaluate(NAMES)
    assert len(everyone) >= 13
    bar = page.evaluate(BOX, "form.scope-bar")
    assert bar[0] >= 0 and bar[2] <= width  # the bar fits the screen (its selects wrap at 390)
    assert page.evaluate("document.documentElement.scrollWidth") <= width or width > 600
    page.select_option("form.scope-bar select[name=site]", "Bergen")
    page.click("form.scope-bar button[type=submit]")
    page.wait_for_url("**site=Bergen**")
    shown = page.evaluate(NAMES)
    assert len(shown) == 1 and shown[0] in everyone, shown  # the one rig in Bergen
    note = page.locator(".scope-note").inner_text()
    assert "Only the rigs of site Bergen (1 rig)" in note
    assert page.locator("#summary tfoot").inner_text().startswith("Σ 1 rig")
    page.screenshot(path=f"/tmp/filterbar-{width}.png", full_page=False)
    # the live push (POLL_INTERVAL 1) renders the page's own query: still Bergen's rig alone
    before = page.get_attribute("#live", "data-updated")
    page.wait_for_function(f"() => document.getElementById('live').dataset.updated !== '{before}'", timeout=15000)
    assert page.evaluate(NAMES) == shown
    # the other links keep the choice; "whole farm" leaves it
    assert "site=Bergen" in page.get_attribute("p.views a", "href")
    page.click("form.scope-bar a")
    page.wait_for_url(f"{server}/overview/")
    assert len(page.evaluate(NAMES)) == len(everyone)
    ctx.close()
