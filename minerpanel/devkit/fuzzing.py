"""Fuzzing the three parsers that read what others write: the cgminer protocol parser (what
rigs send; "replies" throws the shapes of hostile replies at every driver's parsing entry point), the
formula parser (what page editors write) and the page importer (shared files).

Each target checks that only the documented error comes out (RigError, FormulaError,
ValidationError) and that what comes back is bounded. The suite runs a CI-sized number of
examples; `manage.py fuzz --examples N` runs as many as asked. Needs hypothesis (the test extra).
"""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# ---------------------------------------------------------------- the protocol parser


def protocol_target(raw, command, fmt):
    from rigs.drivers.cgminer.protocol import Response, RigError, parse_reply

    try:
        replies = parse_reply(raw, command, fmt)
    except RigError as exc:
        assert isinstance(exc.message, str) and exc.message
        return
    assert isinstance(replies, dict)
    for name, response in replies.items():
        assert isinstance(name, str) and isinstance(response, Response)
        json.dumps(response.as_dict(), allow_nan=True)  # storable: plain data only
        response.letter, response.code, response.msg  # noqa: B018  (never raise)


def real_replies():
    """Replies of the simulated miners (shaped as the real captures), JSON and text, to mutate."""
    from rigs.simulators.cgminer import FLAVOURS, SimRig

    out = []
    for flavour in sorted(FLAVOURS):
        rig = SimRig(flavour=flavour, devices=2, pools=2)
        for command in ("summary", "devs", "pools", "stats", "summary+devs+pools"):
            out.append((rig.handle(json.dumps({"command": command}).encode()), command, "json"))
            out.append((rig.handle(command.encode()), command, "text"))
    return out


@st.composite
def mutated(draw, samples):
    raw, command, fmt = draw(st.sampled_from(samples))
    raw = bytearray(raw)
    for _ in range(draw(st.integers(1, 6))):
        how = draw(st.sampled_from(["flip", "cut", "insert", "delete", "repeat"]))
        at = draw(st.integers(0, max(len(raw) - 1, 0)))
        if how == "flip" and raw:
            raw[at] = draw(st.integers(0, 255))
        elif how == "cut":
            raw = raw[:at]
        elif how == "insert":
            raw[at:at] = draw(st.sampled_from([b"\0", b",", b"}", b"{", b"]", b"[", b'"', b"|", b"=", b"\\", b"nan",
                                               b"inf", b"}{", b"\xff\xfe", b"1e999", b"18446744073709551616"]))
        elif how == "delete":
            del raw[at:at + draw(st.integers(1, 20))]
        elif how == "repeat":
            raw[at:at] = raw[at:at + draw(st.integers(1, 200))] * draw(st.integers(1, 4))
    return bytes(raw), command, fmt


def protocol_inputs():
    commands = st.sampled_from(["summary", "devs", "pools", "stats", "summary+devs+pools", "version"])
    return st.one_of(
        mutated(real_replies()),
        st.tuples(st.binary(max_size=2000), commands, st.sampled_from(["json", "text"])),
        st.tuples(st.text(max_size=500).map(str.encode), commands, st.sampled_from(["json", "text"])),
        st.tuples(json_values().map(lambda v: json.dumps(v).encode()), commands, st.just("json")),
    )


# ---------------------------------------------------------------- rig reply shapes


def _depth(obj):
    """How deep a parsed reply nests (iterative: the thing under test may be deep)."""
    deepest, todo = 0, [(obj, 1)]
    while todo:
        o, d = todo.pop()
        if isinstance(o, (dict, list)):
            deepest = max(deepest, d)
            todo.extend((v, d + 1) for v in (o.values() if isinstance(o, dict) else o))
    return deepest


def replies_target(raw, entry):
    """One reply through a parsing entry point (the cgminer API's JSON and text, the HTTP drivers' body,
    the repairing parser the ASIC drivers use): a RigError, or plain data no deeper than the bound
    that a database stores."""
    from rigs.drivers import fastjson, http
    from rigs.drivers.cgminer.protocol import Response, RigError, load_json, parse_reply

    parse = {"json": lambda: parse_reply(raw, "summary+devs", "json"),
             "text": lambda: parse_reply(raw, "summary+devs", "text"),
             "http": lambda: http.json_body(raw),
             "repair": lambda: load_json(raw.decode("utf-8", errors="replace"))}[entry]
    try:
        out = parse()
    except RigError as exc:
        assert isinstance(exc.message, str) and exc.message
        return
    if isinstance(out, dict) and all(isinstance(r, Response) for r in out.values()):
        out = {name: r.as_dict() for name, r in out.items()}
    assert _depth(out) <= fastjson.MAX_DEPTH + 2  # a Response's own list and record around what it keeps
    fastjson.Encoder().encode(out)  # storable


BOMS = [b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff"]
ODD_BYTES = [b"\0", b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xc0\xaf", b"\\u0000", b"\\ud800", b"\x1b[2J", b"\r\n"]
BIG_NUMBERS = [b"18446744073709551616", b"-9223372036854775809", b"1e999", b"-1e999", b"1" * 400, b"9" * 5000,
               b"0." + b"0" * 400 + b"1", b"1e-999", b"NaN", b"Infinity", b"-0"]


@st.composite
def reply_shapes(draw):
    """Replies shaped as a hostile or broken rig sends them: nested around the bound (and far past
    it, closed or never), large, in other encodings, with NULs, BOMs and numbers no float holds."""
    from rigs.drivers import fastjson

    value = draw(st.sampled_from([b"1", b'"x"', b"{}", b"[]", b"null", *BIG_NUMBERS]))
    depth = draw(st.one_of(st.integers(0, 8), st.integers(fastjson.MAX_DEPTH - 4, fastjson.MAX_DEPTH + 4),
                           st.sampled_from([1000, 1025, 5000, 100_000])))
    opener = draw(st.sampled_from([b"[", b'{"a":', b"[1,", b'{"a":[]', b'["[{\\"",']))
    closer = {b"[": b"]", b'{"a":': b"}", b"[1,": b"]", b'{"a":[]': b"}", b'["[{\\"",': b"]"}[opener]
    closer = b"," + closer if opener == b'{"a":[]' else closer
    opener = opener + b',"b":' if opener == b'{"a":[]' else opener
    body = opener * depth + value + closer * draw(st.sampled_from([depth, depth // 2, 0]))
    body = b'{"STATUS":[{"STATUS":"S","Msg":"x"}],"SUMMARY":[{"Deep":' + body + b'}],"id":1}'
    if draw(st.booleans()):
        body = body.replace(b'"Msg":"x"', b'"Msg":"' + b"y" * draw(st.sampled_from([10, 70_000, 600_000])) + b'"')
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(body)))
        body = body[:at] + draw(st.sampled_from(ODD_BYTES + BIG_NUMBERS)) + body[at:]
    how = draw(st.sampled_from(["utf-8", "bom", "utf-16", "latin-1 text"]))
    if how == "bom":
        body = draw(st.sampled_from(BOMS)) + body
    elif how == "utf-16":
        body = body.decode("latin-1").encode("utf-16")
    elif how == "latin-1 text":
        body = b"STATUS=S,Msg=\xe9t\xe9" + body[:2000].replace(b",", b"|") + b"|\0"
    return body, draw(st.sampled_from(["json", "text", "http", "repair"]))


# ---------------------------------------------------------------- formulas

ROW = {"MHS av": 2500.5, "POOL.Accepted": 3, "POOL.Rejected": 0, "Status": "Alive", "Elapsed": "12"}
ATOMS = st.one_of(
    st.integers(-10**6, 10**6).map(str),
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: f"{f:.3f}".lstrip("-")),
    st.sampled_from(["MHS av", "POOL.Accepted", "POOL.Rejected", "Status", "'x'", "'Alive'", "Missing", '"MHS av"',
                     "1e308", "10**64", "'a'*1000"]),
)


def expressions():
    ops = ["+", "-", "*", "/", "%", "**", "<", "<=", "=", "!=", " and ", " or "]
    return st.recursive(
        ATOMS,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(ops), inner).map(lambda t: f"{t[0]}{t[1]}{t[2]}"),
            inner.map(lambda e: f"({e})"),
            inner.map(lambda e: f"not {e}"),
            inner.map(lambda e: f"-{e}"),
            st.tuples(st.sampled_from(["min", "max", "abs", "round", "floor", "ceil", "sqrt", "log", "if", "nope"]),
                      st.lists(inner, min_size=0, max_size=4)).map(lambda t: f"{t[0]}({','.join(t[1])})"),
        ),
        max_leaves=30,
    )


def formula_target(text):
    from custompages.formula import MAX_NUMBER, MAX_STRING, FormulaError, compile_formula

    try:
        result = compile_formula(text, ROW.keys()).evaluate(ROW)
    except FormulaError as exc:
        assert str(exc)
        return
    assert isinstance(result, (int, float, str)) and not isinstance(result, bool)
    assert len(result) <= MAX_STRING if isinstance(result, str) else abs(result) <= MAX_NUMBER


def formula_inputs():
    return st.one_of(expressions(), st.text(max_size=200))


# ---------------------------------------------------------------- the page importer


def json_values():
    scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                        st.floats(allow_nan=False, allow_infinity=False),
                        st.text(max_size=80))
    return st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=5),
                                                         st.dictionaries(st.text(max_size=12), inner, max_size=5)),
                        max_leaves=25)


def sections():
    from custompages.models import PageSection

    text = st.one_of(st.text(max_size=120), st.sampled_from(["Elapsed\nMHS av", "POOL.URL", "x=1/0", "x=Acceptd+1",
                                                             "POOL.Status eq Alive", "URL=sum", "*\n#", "A=B=C"]))
    keys = {"section": st.one_of(st.sampled_from(["SUMMARY", "POOL", "DEVS+NOTIFY", "POOL+STATS", "DATE", "RIGS",
                                                  "NOPE", "SUMMARY+SUMMARY"]), st.text(max_size=45)),
            "order": st.one_of(st.integers(-2**40, 2**40), json_values()),
            "title": st.one_of(st.text(max_size=90), json_values()),
            **{f: st.one_of(text, json_values()) for f in PageSection.TEXT_FIELDS}}
    return st.fixed_dictionaries({}, optional=keys)


def pages():
    page = st.fixed_dictionaries({}, optional={
        "name": st.one_of(st.text(max_size=70), json_values()),
        "slug": st.one_of(st.from_regex(r"[-a-z0-9_]{1,64}", fullmatch=True), st.text(max_size=70), json_values()),
        "order": st.one_of(st.integers(-2**40, 2**40), json_values()),
        "public": st.one_of(st.booleans(), json_values()),
        "sections": st.one_of(st.lists(sections(), max_size=4), json_values()),
        "id": json_values(),
    })
    return st.one_of(st.lists(page, max_size=4), page, json_values())


def importer_target(data):
    from django.core.exceptions import ValidationError

    from custompages.importing import check

    try:
        checked = check(data)
    except ValidationError as exc:
        assert exc.messages and all(isinstance(m, str) and len(m) < 2000 for m in exc.messages)
        return
    for page, built in checked:
        assert page.slug and page.name and len(built) <= 30


# ---------------------------------------------------------------- running

TARGETS = {
    "protocol": (protocol_target, protocol_inputs, 3),
    "replies": (replies_target, reply_shapes, 2),
    "formula": (formula_target, formula_inputs, 1),
    "importer": (importer_target, pages, 1),
}


def run(name, examples, seed=None, random=False):
    """Run one target on ``examples`` inputs; raises (with the smallest failing input) on a finding.

    Repeatable by default (the suite); ``random`` draws new inputs each run, ``seed`` fixes them."""
    from hypothesis import seed as with_seed

    target, inputs, arity = TARGETS[name]
    opts = settings(max_examples=examples, deadline=None, database=None, derandomize=not random and seed is None,
                    suppress_health_check=list(HealthCheck))

    @opts
    @given(inputs())
    def fuzz(value):
        target(*value) if arity > 1 else target(value)

    (with_seed(seed)(fuzz) if seed is not None else fuzz)()
