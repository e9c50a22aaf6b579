"""The README's snippets, read from its fenced code blocks and run: its curl examples against a live
server whose rigs are the demo's (the real curl when installed, else urllib with the same request),
its Python snippet against a simulated rig on loopback. A change to the README is what is tested."""

import asyncio
import json
import random
import re
import shlex
import shutil
import subprocess
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from minerpanel.models import ApiToken
from minerpanel.tiers import SYS, join_tier
from rigs import demo
from rigs.models import AuditEntry
from rigs.polling import poller
from rigs.simulators.cgminer import SimRig

README = Path(__file__).resolve().parents[1] / "README.md"
ADDRESS = "http://127.0.0.1:8000"  # where the README's examples find the panel


def fenced_blocks(text, language):
    return [body for lang, body in re.findall(r"^```(\w*)\n(.*?)^```", text, re.S | re.M) if lang == language]


def curl_commands(text):
    """Each `curl` of the README's sh blocks as its argv (continued lines joined, comments dropped)."""
    out = []
    for block in fenced_blocks(text, "sh"):
        for line in block.replace("\\\n", " ").splitlines():
            if line.startswith("curl "):
                out.append(shlex.split(line, comments=True))
    return out


def by_urllib(argv):
    """What curl does with these arguments (-H, -d, one URL): (status, body)."""
    headers, data, url = {}, None, None
    args = iter(argv[1:])
    for arg in args:
        if arg == "-H":
            name, _, value = next(args).partition(":")
            headers[name.strip()] = value.strip()
        elif arg == "-d":
            data = next(args).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        else:
            assert not arg.startswith("-"), f"an option the test does not know: {arg}"
            url = arg
    request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def by_curl(argv, tmp_path):
    body = tmp_path / "body"
    out = subprocess.run([*argv, "-sS", "-o", str(body), "-w", "%{http_code}"], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    return int(out.stdout), body.read_bytes()


def letters(reply):
    """Every STATUS letter in a reply, nested replies included, and a command's "status"."""
    if isinstance(reply, list):
        return [x for r in reply for x in letters(r)]
    if not isinstance(reply, dict):
        return []
    own = [reply["status"]] if isinstance(reply.get("status"), str) else []
    own += [s["STATUS"] for s in reply.get("STATUS", []) if isinstance(s, dict) and "STATUS" in s]
    return own + [x for k, v in reply.items() if k not in ("STATUS", "status") for x in letters(v)]


@pytest.fixture
def demo_rigs_served(transactional_db, builtin_pages, settings):
    """The demo's rigs (sim00..., ckpool, xmrigcc...) in the test database, served by the demo's
    simulators from a loop of their own, and polled once."""
    settings.RIG_TIMEOUT = settings.RIG_CONNECT_TIMEOUT = 1.0
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    plan = demo.plan()
    rigs = demo.wanted(plan)
    for base in demo.candidate_bases(random.randrange(12000, 30000, demo.BLOCK), demo.ephemeral_range()):
        try:
            served = asyncio.run_coroutine_threadsafe(demo.listen(plan, rigs, base), loop).result(10)
            break
        except OSError:
            continue
    demo.place(plan, rigs, base)  # the XMRigCC fleet has reported once: its miners are there for the poll
    asyncio.run(poller.poll_once())
    yield plan
    asyncio.run_coroutine_threadsafe(demo.close(served.stops), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    shutil.rmtree(demo.demo_dir(base), ignore_errors=True)


def test_the_curl_examples_answer_as_the_readme_says(demo_rigs_served, live_server, tmp_path):
    commands = curl_commands(README.read_text())
    assert len(commands) >= 8  # the HTTP JSON API's examples were found
    user = User.objects.create_user("ops", password="ops-password-1")
    join_tier(user, SYS)
    _, token = ApiToken.issue(user, "readme", can_control=True)
    run = by_curl if shutil.which("curl") else by_urllib
    for argv in commands:
        argv = [a.replace("$TOKEN", token).replace(ADDRESS, live_server.url) for a in argv]
        status, body = run(argv, tmp_path) if run is by_curl else run(argv)
        assert status == 200, (argv[-1], status, body[:300])
        if run is by_curl and "-d" not in argv:  # the fallback asks the same
            assert by_urllib(argv)[0] == 200
        reply = json.loads(body)
        assert reply and set(letters(reply)) <= {"S", "I"}, (argv[-1], body[:300])  # no rig said E or W
    switched = AuditEntry.objects.get(command="switchpool")
    assert (switched.rig_name, switched.outcome, switched.params) == ("sim01", "S", {"pool": 1})
    assert AuditEntry.objects.get(command="ccstop").outcome == "S"


def test_the_python_snippet_runs_against_a_simulated_rig(farm):
    (code,) = fenced_blocks(README.read_text(), "python")
    sim = SimRig(flavour="cgminer", devices=2, pools=1)
    f = farm(sim)
    assert code.count('RigAPI("10.0.0.5")') == 1
    names = {}
    exec(code.replace('RigAPI("10.0.0.5")', f'RigAPI("127.0.0.1", {f.port(0)})'), names)  # noqa: S102 (our README)
    assert names["summary"]["STATUS"][0]["Msg"] == "Summary" and names["summary"]["SUMMARY"]
    assert names["asc"]["ASC"][0]["ID"] == 0
    assert names["added"]["STATUS"][0]["Code"] == 55 and sim.pools[-1]["url"] == "stratum+tcp://pool.example:3333"


def test_the_dependency_table_names_each_package_once_and_no_sentence_is_left_over():
    text = README.read_text()
    table = text.split("## Dependencies", 1)[1]
    packages = [row.split("|")[1].strip() for row in table.splitlines() if row.startswith("| ") and "---" not in row]
    assert len(packages) > 10 and len(set(packages)) == len(packages), packages
    assert text.count("which the panel and the admin show read-only") == 1
