"""What only a browser shows: logins per tier, live updates, the hidden-tab pause, escaping."""

from .conftest import login


def test_anonymous_visitor_gets_the_login_page(server, page):
    page.goto(server + "/")
    assert "/login/" in page.url
    assert page.locator("form.login").is_visible()


def test_usr_sees_the_summary_without_addresses(server, page):
    login(page, server, "usruser", "usr-pass-123")
    page.wait_for_selector("#custom-2 table")  # the Summary page's SUMMARY
    # 8 cgminer-API rigs, an xmrig, a ckpool, an XMRigCC server, an Antminer, a Whatsminer
    assert page.locator("#rigs tbody tr").count() == 13
    assert "127.0.0.1:" not in page.locator("#live").inner_text()
    assert page.locator("a[href='/admin/']").count() == 0


def test_sys_sees_addresses_and_admin(server, page):
    login(page, server, "sysuser", "sys-pass-123")
    page.wait_for_selector("#rigs table")
    assert "127.0.0.1:" in page.locator("#rigs").inner_text()
    assert page.locator("a[href='/admin/']").count() == 1


def test_wrong_password_stays_on_login(server, page):
    login(page, server, "usruser", "wrong-password")
    assert "/login/" in page.url
    assert "Wrong user name or password" in page.content()


def test_values_change_live_without_reload(server, page):
    login(page, server, "usruser", "usr-pass-123")
    page.wait_for_selector("#custom-2 table")  # the Summary page's SUMMARY
    page.evaluate("window.__notReloaded = true")
    before = page.locator("#live").get_attribute("data-updated")
    page.wait_for_function(f"() => document.getElementById('live').dataset.updated !== '{before}'", timeout=15000)
    assert page.evaluate("window.__notReloaded") is True
    assert page.evaluate("window.mpLive") is True  # pushed over the WebSocket
    assert page.evaluate("window.mpSwaps") >= 1


def test_hidden_tab_pauses_updates(server, page):
    login(page, server, "usruser", "usr-pass-123")
    page.wait_for_function("() => window.mpSwaps >= 1", timeout=15000)
    page.evaluate("""() => {
        Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
    stamp = page.locator("#live").get_attribute("data-updated")
    swaps = page.evaluate("window.mpSwaps")
    page.wait_for_timeout(4000)
    assert page.evaluate("window.mpSwaps") == swaps
    assert page.locator("#live").get_attribute("data-updated") == stamp
    assert page.evaluate("window.mpMissed") is True
    page.evaluate("""() => {
        Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'visible'});
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
    page.wait_for_function(f"() => document.getElementById('live').dataset.updated !== '{stamp}'", timeout=15000)


def test_hostile_rig_data_does_not_run(server, page):
    """Demo rig sim06 has <script> and <img onerror> in its pool URL, user and device names."""
    login(page, server, "sysuser", "sys-pass-123")
    page.wait_for_selector("#custom-4 table")  # the Summary page's POOL
    page.wait_for_timeout(1500)
    text = page.locator("#live").inner_text()
    assert "<script>alert('xss')</script>" in text
    assert page.locator("#live script").count() == 0
    assert page.locator("#live img").count() == 0
    rig = page.locator("a", has_text="sim06").first.get_attribute("href")
    page.goto(server + rig)
    page.wait_for_selector("#section-pools")
    assert page.locator("#live img").count() == 0
    assert page.dialogs == []


def test_mobile_page_on_a_phone(server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    login(page, server, "usruser", "usr-pass-123")
    page.goto(server + "/pages/mobile/")
    page.wait_for_selector("#custom-3 table")
    # nothing wider than the screen but the scrollable tables
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    before = page.locator("#live").get_attribute("data-updated")
    page.wait_for_function(f"() => document.getElementById('live').dataset.updated !== '{before}'", timeout=15000)
    context.close()


def test_beside_the_cgminer_rigs_a_pool_and_a_fleet_with_live_numbers(server, page):
    login(page, server, "usruser", "usr-pass-123")
    page.wait_for_selector("#rigs table")
    rigs = page.locator("#rigs").inner_text()
    assert "ckpool pool" in rigs and "XMRigCC server 3.4.9" in rigs and "xmrig 6.26.0" in rigs
    page.goto(server + "/pages/ckpool/")
    workers = page.locator("table", has_text="alice_bitaxe")
    assert "TH/s" in workers.inner_text() and "% of user" in workers.inner_text()


def test_sys_stops_then_starts_an_xmrigcc_client(server, page):
    login(page, server, "sysuser", "sys-pass-123")
    page.wait_for_selector("#rigs table")
    page.locator("#rigs a", has_text="xmrigcc").first.click()
    page.wait_for_selector("#section-clients")
    clients = "document.getElementById('section-clients').innerText"
    page.locator("section.controls tr", has_text="farm-a-01").get_by_role("button", name="Stop", exact=True).click()
    assert "STOP stored for farm-a-01" in page.content()
    # the miner gets STOP at its next report (every 5 s), reports PAUSED at the one after; the page updates live
    page.wait_for_function(f"() => {clients}.includes('farm-a-01\\tPAUSED')", timeout=25000)
    page.locator("section.controls tr", has_text="farm-a-01").get_by_role("button", name="Start", exact=True).click()
    page.wait_for_function(f"() => {clients}.includes('farm-a-01\\tRUNNING')", timeout=25000)
    page.goto(server + "/audit/")
    assert page.locator("tr", has_text="ccstop").count() == 1 and page.locator("tr", has_text="ccstart").count() == 1


def test_sort_filter_and_problems_survive_live_updates(server, page):
    login(page, server, "usruser", "usr-pass-123")
    page.goto(f"{server}/overview/")
    page.wait_for_selector("#devices table")
    # sick demo rigs say so in the Rigs table and the header
    assert page.locator("#rigs td.h-err").count() >= 3
    assert "need attention" in page.locator("header .attention").inner_text()
    # sort the devices by hashrate, highest first
    page.click("#devices th:has-text('Hashrate av')")
    page.click("#devices th:has-text('Hashrate av')")
    assert page.locator("#devices th[aria-sort='ascending']").count() == 1
    keys = page.evaluate("""Array.from(document.querySelectorAll('#devices tbody tr'))
        .map(tr => window.mpTables.sortKey(tr.cells[5].textContent)).filter(k => k !== null)""")
    assert keys == sorted(keys)
    # the filter box keeps every word
    page.fill("#pools .tools .filter", "backup.example.com")
    rows = page.locator("#pools tbody tr:not([hidden])")
    assert rows.count() >= 1
    assert all("backup.example.com" in t for t in rows.all_inner_texts())
    # problems only on the Rigs table
    page.check("#rigs .tools .problems")
    visible = page.locator("#rigs tbody tr:not([hidden])").all_inner_texts()
    assert visible and all("problem" in t or "warning" in t for t in visible)
    # after the next live push the choices still hold
    before = page.locator("#live").get_attribute("data-updated")
    page.wait_for_function(f"() => document.getElementById('live').dataset.updated !== '{before}'", timeout=15000)
    page.wait_for_timeout(300)
    assert page.locator("#pools .tools .filter").input_value() == "backup.example.com"
    assert page.locator("#rigs .tools .problems").is_checked()
    assert page.locator("#devices th[aria-sort='ascending']").count() == 1
    assert all("problem" in t or "warning" in t for t in page.locator("#rigs tbody tr:not([hidden])").all_inner_texts())


def test_the_clock_and_ages_tick_between_pushes(server, browser):
    ctx = browser.new_context(viewport={"width": 390, "height": 844})
    page = ctx.new_page()
    login(page, server, "usruser", "usr-pass-123")
    page.wait_for_selector("#rigs table")
    page.evaluate("document.getElementById('poller').removeAttribute('ws-connect')")
    first = page.locator("header .clock").inner_text()
    page.wait_for_function(f"() => document.querySelector('header .clock').textContent !== {first!r}", timeout=10000)
    age = page.locator("#rigs td.ticks").first.inner_text()
    page.wait_for_function(f"() => document.querySelector('#rigs td.ticks').textContent !== {age!r}", timeout=10000)
    # the values that matter stay on screen at 390 px (each rig a card)
    for cell in ("td:first-child", "td.rig", "td.reasons:not(:empty)"):  # a push may swap the table: ask again
        page.wait_for_function(f"() => {{ const td = document.querySelector('#rigs tbody {cell}');"
                               f" if (!td) return false; const box = td.getBoundingClientRect();"
                               f" return box.width > 0 && box.right <= 390; }}", timeout=10000)
    ctx.close()
def test_no_page_breaks_the_content_security_policy(server, page):
    """CSP forbids inline script and eval: the pages, live refresh, polling and the admin still work."""
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    login(page, server, "sysuser", "sys-pass-123")
    for path in ("/", "/rigs/1/", "/pages/mobile/", "/pages/pools/", "/bulk/", "/audit/", "/tokens/",
                 "/admin/", "/admin/rigs/rig/1/change/", "/admin/custompages/custompage/add/"):
        page.goto(server + path)
        page.wait_for_load_state()
    # polling without a socket (every data-refresh seconds, started by live.js)
    page.goto(server + "/")
    page.wait_for_function("() => window.mpLive === true", timeout=15000)
    page.evaluate("window.mpLive = false; window.mpSwaps = 0")
    page.wait_for_function("() => window.mpSwaps >= 1", timeout=25000)
    # the refresh select submits itself (was an inline onchange)
    page.select_option("select[name=refresh]", "30")
    page.wait_for_load_state()
    assert page.locator("select[name=refresh]").input_value() == "30"
    assert violations == []
