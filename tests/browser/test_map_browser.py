"""The rack map in Chromium at 1280 and 390 px: the demo's rigs placed from a CSV file through the admin's
page, each cell at its row and column, racks side by side on a laptop and stacked on a phone, the
title on hover, a click to the rig's page, the metric picker, and a rack in maintenance greyed."""

import csv
import io

import pytest

from .conftest import login

# Each cell's box against its grid's: where it is drawn, in slots.
SLOTS = """rack => { const grid = document.querySelector(`section[aria-label="Rack ${rack}"] .grid`);
  const g = grid.getBoundingClientRect(), cells = Array.from(grid.children);
  const first = cells[0].getBoundingClientRect();
  const w = first.width + 2, h = first.height + 2;  // 2 px gaps
  return cells.filter(c => c.tagName === 'A').map(c => { const r = c.getBoundingClientRect();
    return {title: c.title, row: Math.round((r.top - g.top) / h) + 1,
            column: Math.round((r.left - g.left) / w) + 1}; });
}"""
BOX = ("sel => { const r = document.querySelector(sel).getBoundingClientRect(); "
       "return [r.left, r.top, r.right, r.bottom]; }")


def placements(names):
    """Oslo: rack A1 of 3 rows × 4 columns and B2 of 2 × 3; the last two rigs outside racks; one in Bergen."""
    out = io.StringIO()
    w = csv.writer(out, delimiter=";")
    w.writerow(["rig", "site", "rack", "row", "column", "tags"])
    slots = [("A1", r, c) for r in (1, 2, 3) for c in (4, 2, 1)] + [("B2", r, c) for r in (2, 1) for c in (3, 1)]
    for name, (rack, row, col) in zip(names[:-3], slots):
        w.writerow([name, "Oslo", rack, row, col, "demo"])
    w.writerow([names[-3], "Oslo", "", "", "", "spare"])
    w.writerow([names[-2], "Oslo", "", "", "", ""])
    w.writerow([names[-1], "Bergen", "", "", "", ""])
    return out.getvalue().encode("utf-8-sig"), {name: slot for name, slot in zip(names, slots)}


@pytest.fixture(scope="module")
def placed(server, browser):
    """The demo's rigs placed through the admin's CSV page, as a sys user would."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    login(page, server, "sysuser", "sys-pass-123")
    export = page.request.get(f"{server}/admin/farm/export.csv").text().lstrip("\ufeff")
    names = [row[0] for row in list(csv.reader(io.StringIO(export)))[1:]]
    assert len(names) >= 13, names
    data, slots = placements(names)
    page.goto(f"{server}/admin/farm/import/")
    page.set_input_files("input[type=file]", {"name": "farm.csv", "mimeType": "text/csv", "buffer": data})
    page.click("input[value='Check the file']")
    assert "nothing written yet" in page.content()
    page.click("input[value='Import farm.csv']")
    assert "Imported farm.csv" in page.content()
    ctx.close()
    return slots


def test_the_map_at_1280_cells_at_their_slots_racks_side_by_side(server, browser, placed):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    login(page, server, "usruser", "usr-pass-123")
    page.goto(f"{server}/map/?site=Oslo")
    page.wait_for_selector("section.rack .grid a.c")
    for rack in ("A1", "B2"):
        for cell in page.evaluate(SLOTS, rack):
            name = cell["title"].split(" · ")[0]
            assert placed[name] == (rack, cell["row"], cell["column"]), cell
    a1, b2 = page.evaluate(BOX, 'section[aria-label="Rack A1"]'), page.evaluate(BOX, 'section[aria-label="Rack B2"]')
    assert abs(a1[1] - b2[1]) < 2 and b2[0] > a1[2]  # side by side
    assert page.locator('section[aria-label="Rack A1"] .grid > i').count() == 3  # 12 slots, 9 rigs
    assert page.locator(".loose li").count() == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    # the metric picker, then a click on a cell opens its rig's page
    page.select_option("select[name=metric]", "temp")
    page.wait_for_url("**metric=temp**")
    assert "°C" in page.locator(".legend").inner_text()
    first = page.locator('section[aria-label="Rack A1"] .grid a.c').first
    name = first.get_attribute("title").split(" · ")[0]
    first.click()
    page.wait_for_url("**/rigs/*/")
    assert page.locator("h1").inner_text().startswith(name)
    assert "Oslo" in page.locator("#place").inner_text()
    ctx.close()


def test_the_map_at_390_racks_stacked_nothing_wider_than_the_phone(server, browser, placed):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark")
    page = ctx.new_page()
    login(page, server, "usruser", "usr-pass-123")
    page.goto(f"{server}/map/?site=Oslo")
    page.wait_for_selector("section.rack .grid a.c")
    a1, b2 = page.evaluate(BOX, 'section[aria-label="Rack A1"]'), page.evaluate(BOX, 'section[aria-label="Rack B2"]')
    assert b2[1] >= a1[3]  # stacked
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for rack in ("A1", "B2"):
        assert all(placed[c["title"].split(" · ")[0]][1:] == (c["row"], c["column"])
                   for c in page.evaluate(SLOTS, rack))
    ctx.close()


def test_a_rack_in_maintenance_is_greyed_and_ended_again(server, browser, placed):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    login(page, server, "sysuser", "sys-pass-123")
    page.goto(f"{server}/maintenance/")
    page.select_option("select[name=target]", label="rack Oslo / B2")
    page.fill("input[name=reason]", "swapping the PDU")
    page.click("form[aria-label='Start maintenance'] button[type=submit]")
    assert "is in maintenance until" in page.content()
    page.goto(f"{server}/map/?site=Oslo")
    classes = page.eval_on_selector_all('section[aria-label="Rack B2"] .grid a.c', "els => els.map(e => e.className)")
    assert classes and all("mt" in c for c in classes)
    assert "swapping the PDU" in page.locator('section[aria-label="Rack B2"] .grid a.c').first.get_attribute("title")
    assert "mt" not in page.locator('section[aria-label="Rack A1"] .grid a.c').first.get_attribute("class")
    page.goto(f"{server}/maintenance/")
    page.click("#maintenance-current button:has-text('End now')")
    page.goto(f"{server}/map/?site=Oslo")
    assert "mt" not in page.locator('section[aria-label="Rack B2"] .grid a.c').first.get_attribute("class")
    ctx.close()


def test_the_wall_screen_hides_the_header_and_shows_the_next_site(server, browser, placed):
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    page = ctx.new_page()
    login(page, server, "usruser", "usr-pass-123")
    page.goto(f"{server}/map/?site=Oslo&wall=1&every=5")
    assert page.locator("header.bar").count() == 0 and page.locator("#wall h1").inner_text() == "Oslo"
    page.wait_for_function("() => document.querySelector('#wall h1').textContent === 'Bergen'", timeout=12000)
    assert page.url.endswith("every=5")  # the same page: a full screen stays full
    ctx.close()
