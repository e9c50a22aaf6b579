"""The header's groups at 1280 and 390 px: disclosure buttons (aria-expanded) opening their links by
keyboard, one at a time, Escape closing; the alerts count stays in sight."""

import os

import pytest

from .conftest import login

SHOTS = os.environ.get("SCREENSHOTS_DIR")


@pytest.fixture(params=[1280, 390])
def viewer(request, server, browser):
    ctx = browser.new_context(viewport={"width": request.param, "height": 800})
    p = ctx.new_page()
    login(p, server, "sysuser", "sys-pass-123")
    p.width = request.param
    yield p
    ctx.close()


def test_the_header_groups_open_by_keyboard_at_both_widths(server, viewer):
    page = viewer
    page.goto(server + "/overview/")
    if page.width == 390:
        page.locator("header.bar .menu-toggle").click()
    operate = page.locator("header.bar .group-toggle", has_text="Operate")
    admin = page.locator("header.bar .group-toggle", has_text="Admin")
    links = page.locator("#nav-operate a")
    assert operate.get_attribute("aria-expanded") == "false" and not links.first.is_visible()
    operate.focus()
    page.keyboard.press("Enter")
    assert operate.get_attribute("aria-expanded") == "true"
    assert [a.inner_text() for a in links.all() if a.is_visible()] == [
        "Curtailment", "Energy", "Maintenance", "Group pools", "Automation", "Bulk"]
    box, width = links.last.bounding_box(), page.evaluate("document.documentElement.clientWidth")
    assert box["x"] >= 0 and box["x"] + box["width"] <= width  # on screen
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"header-operate-{page.width}.png"))
    admin.focus()
    page.keyboard.press("Space")  # another group: the first closes
    assert admin.get_attribute("aria-expanded") == "true" and operate.get_attribute("aria-expanded") == "false"
    assert page.locator("#nav-admin a", has_text="Audit").is_visible()
    page.keyboard.press("Escape")
    assert admin.get_attribute("aria-expanded") == "false" and not page.locator("#nav-admin a").first.is_visible()
    assert page.evaluate("document.activeElement.textContent.trim()").startswith("Admin")
    # the direct links are always there; the whole header fits
    assert page.locator("header.bar nav > a", has_text="Map").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= page.width


def test_without_script_every_link_is_in_the_header(server, browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, java_script_enabled=False)
    p = ctx.new_page()
    login(p, server, "sysuser", "sys-pass-123")
    p.goto(server + "/overview/")
    assert p.locator("header.bar .group-toggle").first.is_hidden()
    for name in ("Curtailment", "Bulk", "Audit", "Admin", "Alerts"):
        assert p.locator("header.bar nav a", has_text=name).first.is_visible(), name
    ctx.close()
