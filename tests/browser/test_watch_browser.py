"""History charts and alerts as a browser shows them, against the demo rigs of a real server."""

from .conftest import login


def test_a_rigs_charts_draw_and_change_range(server, page):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    login(page, server, "usruser", "usr-pass-123")
    page.goto(server + "/rigs/2/")  # sim01, a bfgminer with devices
    page.wait_for_selector("section.charts .chart canvas", timeout=15000)
    assert page.locator("section.charts .chart").count() >= 3  # hashrate, temperature, rejects and pool
    assert page.locator("section.charts button[data-range='24h']").get_attribute("aria-pressed") == "true"
    page.click("section.charts button[data-range='7d']")
    page.wait_for_function("document.querySelector(\"section.charts button[data-range='7d']\")"
                           ".getAttribute('aria-pressed') === 'true'")
    page.wait_for_selector("section.charts .chart canvas")
    assert errors == []


def test_the_header_counts_firing_alerts_and_the_page_lists_them(server, page):
    login(page, server, "sysuser", "sys-pass-123")
    # sim01's dead device holds three rounds (one a second), then fires
    for _ in range(20):
        page.goto(server + "/alerts/")
        if page.locator("tr.alert-firing").count():
            break
        page.wait_for_timeout(1000)
    assert page.locator("tr.alert-firing", has_text="Dead").count() >= 1
    assert page.locator("header a[href='/alerts/']").inner_text().startswith("Alerts (")
    page.locator("tr.alert-firing", has_text="Dead").first.locator("button", has_text="Acknowledge").click()
    page.wait_for_load_state()
    assert page.locator("tr.alert-firing",
                        has_text="Dead").first.locator("td").nth(5).inner_text().startswith("sysuser")
    page.goto(server + "/audit/")
    assert "alert-ack" in page.locator("#audit").inner_text()
