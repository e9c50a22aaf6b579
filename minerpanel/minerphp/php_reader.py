"""Read the settings a myminer.php (or the top of a miner.php) assigns, without PHP.

    >>> read("<?php $rigs = array('10.0.0.5:4028:a', '[::1]:4029');").values["rigs"]
    {0: '10.0.0.5:4028:a', 1: '[::1]:4029'}

The subset such files use: `$name = value;`, `$name[] = value;`, `$name['key'] = value;`
where a value is a string ('single' or "double" without variables), a number, true,
false, null, `array(...)` or `[...]` with or without `key =>`, nested, a `$variable`
assigned earlier, `-` before a number and `.` between strings. Comments (#, //, /* */)
anywhere, Windows or old Mac line ends, a BOM, `<?php` without `?>`. Nothing is run:
`include`/`require` lines are reported and skipped, any other statement (function, if,
echo...) is reported with its line and skipped, and a value this reader cannot read
is a problem with its line number, never a guess. PHP arrays become dicts (insertion
order, integer keys as PHP numbers them). Plain Python: no Django here.
"""

import re

MAX_SIZE = 2 * 1024 * 1024  # bytes of a settings file
MAX_DEPTH = 40              # nesting of arrays and parentheses

TOKEN = re.compile(r"""
    (?P<space>[ \t\n]+)
  | (?P<comment>(?:\#|//)[^\n]*?(?=\?>|\n|$)|/\*.*?(?:\*/|$))
  | (?P<close>\?>)
  | (?P<var>\$[A-Za-z_][A-Za-z0-9_]*)
  | (?P<number>0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<sq>'(?:[^'\\]|\\.)*')
  | (?P<dq>"(?:[^"\\]|\\.)*")
  | (?P<name>[A-Za-z_\\][A-Za-z0-9_\\]*)
  | (?P<punct>=>|===|!==|==|!=|<=|>=|&&|\|\||\+\+|--|\.=|\+=|-=|::|->|[=;,()\[\]{}.+\-*/%<>!?:&|@^~])
  | (?P<other>.)
""", re.S | re.X)

DQ_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "v": "\v", "f": "\f", "e": "\x1b", "0": "\0",
              "\\": "\\", "$": "$", '"': '"'}
INCLUDES = {"include", "include_once", "require", "require_once"}
SILENT = {"global", "session_start"}  # statements miner.php itself has that set nothing


class Unreadable(Exception):
    def __init__(self, line, message):
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


class Token:
    __slots__ = ("kind", "text", "line")

    def __init__(self, kind, text, line):
        self.kind, self.text, self.line = kind, text, line

    def __repr__(self):
        return f"{self.kind}:{self.text}@{self.line}"


class Result:
    """values: {name: value}; lines: {name: line of its last assignment};
    skipped: [(line, why)] statements that set nothing; problems: [(line, why, variable or None)];
    used: the variables other values were built from."""

    def __init__(self):
        self.values, self.lines, self.skipped, self.problems = {}, {}, [], []
        self.used = set()  # variables other values are built from


def tokens(text):
    """The PHP tokens of ``text``: code between <?php and ?> (or the end)."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    out, pos, line = [], 0, 1
    while True:
        start = text.find("<?", pos)
        if start < 0:
            return out
        line += text.count("\n", pos, start)
        pos = start + 2
        if text.startswith("php", pos):
            pos += 3
        elif text.startswith("=", pos):
            raise Unreadable(line, "'<?=' (output) is not a settings file's")
        while pos < len(text):
            m = TOKEN.match(text, pos)
            if not m:
                raise Unreadable(line, f"cannot read {text[pos:pos + 20]!r}")
            kind, value = m.lastgroup, m.group()
            if kind == "close":
                pos = m.end()
                break
            if kind == "comment" and value.startswith("/*") and not value.endswith("*/"):
                raise Unreadable(line, "a /* comment is never closed")
            if kind == "other" and value in "'\"":
                raise Unreadable(line, f"a string opened here with {value} is never closed "
                                       "(or a quote is missing before it)")
            if kind not in ("space", "comment"):
                out.append(Token(kind, value, line))
            line += value.count("\n")
            pos = m.end()
        else:
            return out


def string_value(tok):
    body = tok.text[1:-1]
    if tok.kind == "sq":
        return re.sub(r"\\([\\'])", r"\1", body)
    if re.search(r"(?<!\\)(?:\\\\)*\$[A-Za-z_{]|\{\$", body):
        raise Unreadable(tok.line, f"a double-quoted string with a variable in it ({tok.text[:40]})")

    def escape(m):
        ch = m.group(1)
        if ch in DQ_ESCAPES:
            return DQ_ESCAPES[ch]
        if ch[0] == "x":
            return chr(int(ch[1:], 16))
        return "\\" + ch

    return re.sub(r"\\(x[0-9a-fA-F]{1,2}|.)", escape, body, flags=re.S)


def number_value(text):
    if text[:2].lower() == "0x":
        return int(text, 16)
    if re.fullmatch(r"\d+", text):
        return int(text, 8) if len(text) > 1 and text.startswith("0") and set(text) <= set("01234567") else int(text)
    return float(text)


def php_key(key, line):
    """PHP's array key rules: decimal-integer strings become integers, bools and floats too."""
    if isinstance(key, bool):
        return int(key)
    if isinstance(key, float):
        return int(key)
    if key is None:
        return ""
    if isinstance(key, str) and re.fullmatch(r"-?[1-9][0-9]*|0", key) and abs(int(key)) < 2 ** 63:
        return int(key)
    if isinstance(key, (int, str)):
        return key
    raise Unreadable(line, "an array cannot be an array key")


def append(array, value):
    ints = [k for k in array if isinstance(k, int)]
    array[max(ints) + 1 if ints else 0] = value


class Reader:
    def __init__(self, toks, result):
        self.toks, self.pos, self.result = toks, 0, result

    def peek(self, offset=0):
        i = self.pos + offset
        return self.toks[i] if i < len(self.toks) else None

    def next(self):
        tok = self.peek()
        if tok is None:
            last = self.toks[-1].line if self.toks else 1
            raise Unreadable(last, "the file ends in the middle of a statement")
        self.pos += 1
        return tok

    def expect(self, text):
        tok = self.next()
        if tok.text != text:
            raise Unreadable(tok.line, f"expected '{text}', found '{tok.text}'")
        return tok

    # ---------------------------------------------------------- statements

    def statements(self):
        while self.peek() is not None:
            start = self.pos
            tok = self.peek()
            try:
                if tok.kind == "var":
                    self.assignment()
                elif tok.text == ";":
                    self.pos += 1
                else:
                    self.other()
            except Unreadable as exc:
                self.result.problems.append((exc.line, exc.message, tok.text[1:] if tok.kind == "var" else None))
                self.pos = start
                if not self.skip_statement():
                    self.result.problems.append((tok.line, "this statement never ends (a bracket not closed?): "
                                                           "nothing after it can be read", None))

    def assignment(self):
        tok = self.next()
        name = tok.text[1:]
        path = []
        while self.peek() is not None and self.peek().text == "[":
            self.next()
            if self.peek() is not None and self.peek().text == "]":
                path.append(None)
            else:
                path.append(php_key(self.expr(0), tok.line))
            self.expect("]")
        op = self.next()
        if op.text != "=":
            raise Unreadable(op.line, f"'${name} {op.text}' is not a plain assignment")
        value = self.expr(0)
        end = self.next()
        if end.text != ";":
            raise Unreadable(end.line, f"expected ';' after the value of ${name}, found '{end.text}'")
        if not path:
            self.result.values[name] = value
        else:
            target = self.result.values.get(name)
            if target is None:
                target = self.result.values[name] = {}
            if not isinstance(target, dict):
                raise Unreadable(tok.line, f"${name} is not an array")
            for i, key in enumerate(path):
                last = i == len(path) - 1
                if key is None:
                    if not last:
                        raise Unreadable(tok.line, f"${name}[][...] is not supported")
                    append(target, value)
                elif last:
                    target[key] = value
                else:
                    target = target.setdefault(key, {})
                    if not isinstance(target, dict):
                        raise Unreadable(tok.line, f"${name}[{key!r}] is not an array")
        self.result.lines[name] = tok.line

    def other(self):
        tok = self.peek()
        word = tok.text.lower()
        start = self.pos
        if not self.skip_statement():
            raise Unreadable(tok.line, f"the '{tok.text}' statement never ends (a bracket not closed?)")
        if word in SILENT:
            return
        if word == "function":
            self.result.skipped.append((tok.line, "function skipped (functions set no setting)"))
            return
        body = self.toks[start:self.pos]
        assigned = sorted({t.text for i, t in enumerate(body) if t.kind == "var" and assigns(body, i + 1)})
        if word in INCLUDES:
            target = next((string_value(t) for t in body if t.kind in ("sq", "dq")), "?")
            self.result.skipped.append((tok.line, f"{word} {target!r} skipped: only this file is read"))
        elif assigned:
            self.result.problems.append((tok.line, f"a '{tok.text}' statement assigns {', '.join(assigned)}: "
                                                   "only plain assignments are read", None))
        else:
            self.result.skipped.append((tok.line, f"'{tok.text}' statement skipped (it sets no setting)"))

    def skip_statement(self):
        """Past the end of the statement at self.pos: ';' at depth 0, or a block's closing '}'.
        False when the file ends first."""
        depth = 0
        while self.peek() is not None:
            tok = self.next()
            if tok.text in "([{" and tok.kind == "punct":
                depth += 1
            elif tok.text in ")]}" and tok.kind == "punct":
                depth -= 1
                if depth <= 0 and tok.text == "}":
                    nxt = self.peek()
                    if nxt is None or nxt.text.lower() not in ("else", "elseif", ")", ";"):
                        return True
            elif tok.text == ";" and depth <= 0:
                return True
        return False

    # ---------------------------------------------------------- values

    def expr(self, depth):
        if depth > MAX_DEPTH:
            raise Unreadable(self.peek().line, f"values nested deeper than {MAX_DEPTH}")
        value = self.unary(depth)
        while self.peek() is not None and self.peek().text == ".":
            tok = self.next()
            right = self.unary(depth)
            if not isinstance(value, (str, int, float)) or not isinstance(right, (str, int, float)):
                raise Unreadable(tok.line, "'.' joins strings only")
            value = php_str(value) + php_str(right)
        return value

    def unary(self, depth):
        tok = self.next()
        if tok.text in ("-", "+") and tok.kind == "punct":
            value = self.unary(depth)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise Unreadable(tok.line, f"'{tok.text}' before something that is not a number")
            return -value if tok.text == "-" else value
        if tok.text == "(":
            value = self.expr(depth + 1)
            self.expect(")")
            return value
        if tok.kind == "number":
            return number_value(tok.text)
        if tok.kind in ("sq", "dq"):
            return string_value(tok)
        if tok.kind == "var":
            name = tok.text[1:]
            if name not in self.result.values:
                raise Unreadable(tok.line, f"${name} is used before it is given a value")
            value = self.result.values[name]
            self.result.used.add(name)
            if self.peek() is not None and self.peek().text == "[":
                raise Unreadable(tok.line, f"${name}[...] inside a value is not supported")
            return copy(value)
        word = tok.text.lower()
        if tok.kind == "name" and word in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[word]
        if tok.kind == "name" and word == "array" and self.peek() is not None and self.peek().text == "(":
            self.next()
            return self.items(")", depth)
        if tok.text == "[":
            return self.items("]", depth)
        if tok.kind == "name" and self.peek() is not None and self.peek().text == "(":
            raise Unreadable(tok.line, f"a call to {tok.text}() is code, not a value")
        raise Unreadable(tok.line, f"'{tok.text}' is not a value this reader understands")

    def items(self, closer, depth):
        out = {}
        while True:
            tok = self.peek()
            if tok is None:
                self.next()
            if tok.text == closer:
                self.next()
                return out
            value = self.expr(depth + 1)
            if self.peek() is not None and self.peek().text == "=>":
                self.next()
                out[php_key(value, tok.line)] = self.expr(depth + 1)
            else:
                append(out, value)
            sep = self.next()
            if sep.text == closer:
                return out
            if sep.text != ",":
                raise Unreadable(sep.line, f"expected ',' or '{closer}' in an array, found '{sep.text}'")


def assigns(body, i):
    """Whether the variable before body[i] is assigned: '= ...' after any number of [...]."""
    depth = 0
    while i < len(body):
        text = body[i].text
        if text == "[":
            depth += 1
        elif text == "]":
            depth -= 1
        elif depth == 0:
            return text in ("=", ".=", "+=", "-=")
        i += 1
    return False


def php_str(value):
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def copy(value):
    if isinstance(value, dict):
        return {k: copy(v) for k, v in value.items()}
    return value


def read(text):
    """Read a PHP settings file's text; never raises for bad input (see Result.problems)."""
    result = Result()
    if len(text) > MAX_SIZE:
        result.problems.append((1, f"the file is larger than {MAX_SIZE // 1024 // 1024} MB: not a settings file", None))
        return result
    if "<?" not in text:
        result.problems.append((1, "no '<?php' in the file: it is not a PHP file", None))
        return result
    try:
        toks = tokens(text)
    except Unreadable as exc:
        result.problems.append((exc.line, exc.message, None))
        return result
    Reader(toks, result).statements()
    return result


def is_list(value):
    return isinstance(value, dict) and list(value) == list(range(len(value)))
