"""The custom page editor in a browser: one section unfolded at a time, Group always there, Calc with a group,
the empty boxes behind an "add"."""

from .conftest import login

FOLDS = "#sections-group .inline-related:not(.empty-form) details.fold"


def fold_of(page, section):
    return page.locator(FOLDS).filter(has=page.locator("summary .inline_label", has_text=section)).first


def open_editor(page, server, name):
    login(page, server, "sysuser", "sys-pass-123")
    page.goto(server + "/admin/custompages/custompage/")
    page.get_by_role("link", name=name, exact=True).click()
    page.wait_for_selector(FOLDS)


def test_one_section_is_open_and_the_others_are_one_line_each(server, page):
    open_editor(page, server, "Mobile")
    folds = page.locator(FOLDS)
    assert folds.count() == 5  # DATE, RIGS, SUMMARY, DEVS+NOTIFY, POOL
    assert page.locator(FOLDS + "[open]").count() == 1
    summary = fold_of(page, "SUMMARY")
    assert summary.get_attribute("open") is not None  # the first section with boxes
    assert "fields" in summary.locator(".outline").inner_text()
    for k in range(folds.count()):  # a folded section is one line: its summary only
        fold = folds.nth(k)
        if fold.get_attribute("open") is None:
            assert fold.bounding_box()["height"] < 60, fold.inner_text()
    pools = fold_of(page, "POOL")
    pools.locator("summary").click()
    assert pools.get_attribute("open") is not None
    assert summary.get_attribute("open") is None  # opening one folds the other
    assert page.locator(FOLDS + "[open]").count() == 1


def test_group_is_always_there_and_calc_comes_with_a_group(server, page):
    open_editor(page, server, "Mobile")
    section = page.locator("#sections-group .inline-related", has=page.locator("details.fold[open]"))
    group = section.locator("textarea[name$='-group']")
    calc = section.locator("textarea[name$='-calc']")
    where = section.locator("textarea[name$='-where']")
    assert group.is_visible() and group.input_value() == ""
    assert not calc.is_visible()
    assert not where.is_visible()  # an empty box waits behind its "add" button
    assert not section.locator(".add-boxes button[data-box='calc']").is_visible()
    group.fill("SUMMARY.Hash Algorithm")  # typing a group brings Calc, at once
    assert calc.is_visible()
    group.fill("")
    assert not calc.is_visible()
    section.locator(".add-boxes button[data-box='where']").click()
    assert where.is_visible()
    assert where.evaluate("el => el === document.activeElement")
    assert not section.locator(".add-boxes button[data-box='where']").is_visible()
    # a box that holds something is shown
    assert section.locator("textarea[name$='-fields']").is_visible()
    assert section.locator("textarea[name$='-totals']").is_visible()


def test_a_refused_save_opens_the_section_with_the_errors_and_shows_them_all(server, page):
    open_editor(page, server, "Pools (manual)")
    section = page.locator("#sections-group .inline-related", has=page.locator("details.fold[open]"))
    section.locator(".add-boxes button[data-box='gen']").click()
    section.locator("textarea[name$='-gen']").fill("A=POOL.Accepted +* 2\nB=max(, 1)")
    section.locator("textarea[name$='-group']").fill("POOL.URL")
    section.locator("textarea[name$='-calc']").fill("POOL.Accepted=median")
    page.locator("input[name=_continue]").click()
    page.wait_for_load_state()
    opened = page.locator(FOLDS + "[open]")
    assert opened.count() == 1
    assert "✖ 3 errors" in opened.locator(".outline").inner_text()
    errors = opened.locator(".errorlist li").all_inner_texts()
    assert all(any(word in e for e in errors) for word in ("median", "gen 'A'", "gen 'B'"))
    for name in ("group", "calc", "gen"):
        assert opened.locator(f"textarea[name$='-{name}']").is_visible()
