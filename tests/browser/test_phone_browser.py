"""The phone (390 px) and a laptop (1280 px), light and dark: no cell of the columns that matter is clipped,
measured from the elements' boxes against the viewport and their scroll box."""

import pytest

from .conftest import login

# Each visible element's box, the box that clips it (its .scroll, else the viewport) and whether its own text overflows.
BOXES = """sel => Array.from(document.querySelectorAll(sel)).filter(el => el.getClientRects().length).map(el => {
  const r = el.getBoundingClientRect(), scroll = el.closest('.scroll');
  const b = scroll ? scroll.getBoundingClientRect() : {left: 0, right: document.documentElement.clientWidth};
  return {text: el.textContent.trim().slice(0, 60), left: r.left, right: r.right, top: r.top, bottom: r.bottom,
          boxLeft: Math.max(b.left, 0), boxRight: Math.min(b.right, document.documentElement.clientWidth),
          overflow: el.scrollWidth > el.clientWidth + 1};
})"""


def unclipped(page, selector, at_least=1):
    boxes = page.evaluate(BOXES, selector)
    assert len(boxes) >= at_least, f"{selector}: {len(boxes)} shown"
    for b in boxes:
        assert b["left"] >= b["boxLeft"] - 1 and b["right"] <= b["boxRight"] + 1, (selector, b)
        assert not b["overflow"], (selector, b)
    return boxes


@pytest.fixture(params=["light", "dark"])
def phone(request, server, browser):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme=request.param)
    page = ctx.new_page()
    login(page, server, "sysuser", "sys-pass-123")
    yield page
    ctx.close()


@pytest.fixture(params=["light", "dark"])
def laptop(request, server, browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=request.param)
    page = ctx.new_page()
    login(page, server, "sysuser", "sys-pass-123")
    yield page
    ctx.close()


def test_rigs_are_cards_with_every_reason_at_390(server, phone):
    for path in ("/?all=1", "/pages/mobile/", "/overview/"):
        phone.goto(server + path)
        phone.wait_for_selector("#rigs table")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390, path
        # each row a card (asked of whichever rows are there: a live push may swap the table meanwhile)
        phone.wait_for_function("() => { const tr = document.querySelector('#rigs tbody tr');"
                                " return tr !== null && getComputedStyle(tr).display === 'flex'; }", timeout=10000)
        unclipped(phone, "#rigs tbody td.rig", 13)
        reasons = unclipped(phone, "#rigs tbody td.reasons", 3)
        assert any("Dead" in r["text"] for r in reasons), reasons
        unclipped(phone, "#rigs tbody td.h-ok, #rigs tbody td.h-warn, #rigs tbody td.h-err, #rigs tbody td.rate", 13)
        label = "getComputedStyle(document.querySelector('#rigs td.rate'), '::before').content"
        assert phone.evaluate(label) == '"Hashrate "'
    # a live update swaps the same rows in: still cards, still whole
    before = phone.locator("#live").get_attribute("data-updated")
    phone.wait_for_function(f"() => document.getElementById('live').dataset.updated !== '{before}'", timeout=15000)
    assert phone.locator("#rigs tbody tr").first.evaluate("tr => getComputedStyle(tr).display") == "flex"
    unclipped(phone, "#rigs tbody td.reasons", 3)


def test_the_header_is_a_menu_at_390(server, phone):
    phone.goto(server + "/?all=1")
    nav = phone.locator("header.bar nav")
    button = phone.locator("header.bar .menu-toggle")
    assert not nav.is_visible()
    unclipped(phone, "header.bar > *:not(nav)", 2)
    button.focus()
    phone.keyboard.press("Enter")
    assert button.get_attribute("aria-expanded") == "true" and nav.is_visible()
    unclipped(phone, "header.bar nav > a", 5)
    phone.keyboard.press("Escape")
    assert button.get_attribute("aria-expanded") == "false" and not nav.is_visible()


def test_the_alerts_and_their_actions_are_on_screen_at_390(server, phone):
    phone.goto(server + "/alerts/")
    phone.wait_for_selector("#alerts-current tbody tr")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    unclipped(phone, "#alerts-current tbody td", 4)
    unclipped(phone, "#alerts-current button", 2)  # Acknowledge, Silence
    since = phone.locator("#alerts-current tbody td:nth-child(4)").first
    assert phone.evaluate("el => getComputedStyle(el, '::before').content", since.element_handle()) == '"since "'


def test_wide_tables_say_they_scroll_and_keep_their_first_column(server, phone, laptop):
    for page, path in ((phone, "/overview/"), (laptop, "/rigs/1/"), (laptop, "/overview/")):
        page.goto(server + path)
        page.wait_for_selector(".scroll table")
        wide = page.evaluate("""() => Array.from(document.querySelectorAll('.scroll'))
                                .filter(s => s.getClientRects().length && s.scrollWidth > s.clientWidth + 1)
                                .map(s => s.closest('section').id)""")
        for sid in wide:
            # scrolled to the far end in one go (a live swap may replace the table between two calls)
            seen = page.evaluate("""sid => {
                const s = document.querySelector('#' + sid + ' .scroll');
                const before = s.className;
                s.scrollLeft = s.scrollWidth;
                s.dispatchEvent(new Event('scroll'));
                const first = s.querySelector('tbody td:first-child').getBoundingClientRect();
                return {before, after: s.className, first: first.left, box: s.getBoundingClientRect().left,
                        position: getComputedStyle(s.querySelector('tbody td:first-child')).position};
            }""", sid)
            assert "more-right" in seen["before"] and "more-left" not in seen["before"], (path, sid, seen)
            assert "more-left" in seen["after"] and "more-right" not in seen["after"], (path, sid, seen)
            # the first column stays
            assert seen["position"] == "sticky" and abs(seen["first"] - seen["box"]) <= 1, (path, sid, seen)
        if page is phone:
            assert "summary" in wide  # the phone's Summary table scrolls (the Rigs table is cards)


def test_at_1280_the_tables_that_matter_are_whole(server, laptop):
    laptop.goto(server + "/overview/")
    laptop.wait_for_selector("#summary tfoot")
    assert laptop.evaluate("document.documentElement.scrollWidth") <= 1280
    unclipped(laptop, "#rigs td", 13 * 6)  # every column of the Rigs table
    unclipped(laptop, "#summary td:nth-child(-n+4)", 13 * 4)  # Rig, Elapsed, Hashrate av, Hashrate now
    sigma = laptop.locator("#summary tfoot td:first-child").first
    lines = sigma.evaluate("td => { const r = document.createRange(); r.selectNodeContents(td); "
                           "return new Set(Array.from(r.getClientRects()).map(x => Math.round(x.top))).size; }")
    assert "Σ" in sigma.inner_text() and lines == 1
    laptop.goto(server + "/rigs/1/")
    laptop.wait_for_selector("#section-devs table")
    unclipped(laptop, "#section-summary td:nth-child(-n+4)",
              4)  # Elapsed and the hashrates; the rest scrolls, with its cue
    unclipped(laptop, "#section-devs tbody td:nth-child(-n+6)", 6)
