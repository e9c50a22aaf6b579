"""A live push sends what changed since the socket's last one (rigs/web/changes.py)."""

from rigs.web.changes import Sent, parse


def send(sent, html):
    return sent.message(parse(html))


def fragment(at="100", clock="10:00:00", summary="1", devs="2", extra="", date="Date: 10:00:00"):
    return (f'<div id="live" hx-swap-oob="true" data-updated="{at}">\n'
            f'  <p class="updated" id="live-at" data-updated="{at}">Data as of {clock} · '
            f'<span class="ago">updated 0 s ago</span></p>\n'
            f'<p class="datebox" id="date-1">{date}</p>{extra}'
            f'<section class="table" id="summary"><h2>Summary</h2><p class="empty">x</p><table><tr><td>{summary}'
            f'</td></tr></table></section>'
            f'<section class="table" id="devs"><h2>Devices</h2><table><tr><td>{devs}</td></tr></table></section>\n'
            f'</div>')


def test_the_first_push_is_the_whole_fragment():
    html = fragment()
    assert send(Sent(), html) == html


def test_then_only_the_tables_that_changed_with_the_time_of_the_data():
    sent = Sent()
    send(sent, fragment())
    message = send(sent, fragment(at="110", clock="10:00:10", summary="5"))
    at = '<p class="updated" id="live-at" hx-swap-oob="true" data-updated="110">Data as of 10:00:10'
    assert message.startswith(at)
    assert '<section class="table" id="summary" hx-swap-oob="true"><h2>Summary</h2>' in message
    assert "<td>5</td>" in message and 'id="devs"' not in message and 'id="live"' not in message
    assert message.endswith("</section>")  # the section whole, past the <p> inside it


def test_nothing_changed_but_the_time_sends_the_time():
    sent = Sent()
    send(sent, fragment())
    message = send(sent, fragment(at="110", clock="10:00:10"))
    assert message.startswith('<p class="updated" id="live-at"') and "<section" not in message


def test_a_date_box_that_turned_is_sent_by_itself():
    sent = Sent()
    send(sent, fragment())
    message = send(sent, fragment(date="Date: 10:00:10"))
    assert '<p class="datebox" id="date-1" hx-swap-oob="true">Date: 10:00:10</p>' in message
    assert "<section" not in message


def test_anything_else_that_changed_sends_the_whole_fragment():
    sent = Sent()
    send(sent, fragment())
    banner = fragment(extra='<p class="banner err" role="alert">Pools: could not be shown</p>')
    assert send(sent, banner) == banner  # a banner came
    fewer = fragment().replace('<section class="table" id="devs"><h2>Devices</h2><table><tr><td>2</td></tr></table>'
                               '</section>', "")
    assert send(sent, fewer) == fewer  # a table went


def test_a_fragment_without_the_time_line_always_goes_whole():
    sent = Sent()
    rig = '<div id="live" data-updated="1"><p class="updated">last answer 3s ago</p></div>'
    assert send(sent, rig) == rig and send(sent, rig) == rig
    assert send(sent, "") == ""


def test_ages_the_browser_ticks_are_no_change():
    sent = Sent()
    cell = '<td class="num ticks at-90" data-label="Data age">{}</td>'
    send(sent, fragment(devs=cell.format("10s")))
    message = send(sent, fragment(devs=cell.format("20s")))
    assert "<section" not in message
    message = send(sent, fragment(devs=cell.format("20s") + "<td>stale</td>"))
    assert 'id="devs" hx-swap-oob="true"' in message
