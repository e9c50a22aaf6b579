"""Which rows of a long farm table a view shows: plain Python over row indices.

A table of up to ``limit`` rows is shown whole and in its own order (miner.php's page).
A longer one shows the rows of rigs that need attention first, then the others, ``limit``
rows a page; the viewer pages through it, filters it by words ("every word in the row")
and may ask for problems only, all on the server, so a view never builds the rows it hides.
Query parameters are per table: ``<table id>-page``, ``<table id>-q``, ``<table id>-problems``.
"""

from dataclasses import dataclass, field
from urllib.parse import urlencode


@dataclass
class Choice:
    """What one view asks of one table."""

    page: int = 1
    q: str = ""
    problems: bool = False

    @property
    def words(self):
        return [w for w in self.q.lower().split() if w]


def choice_of(params, table_id):
    """The table's Choice from a query dict (``request.GET`` or a parsed query string)."""
    try:
        page = max(1, int(params.get(f"{table_id}-page") or 1))
    except (TypeError, ValueError):
        page = 1
    q = str(params.get(f"{table_id}-q") or "")[:200]
    return Choice(page, q, params.get(f"{table_id}-problems") == "1")


@dataclass
class Pager:
    """What the page says under a paged table, and its links (query strings)."""

    table_id: str
    total: int  # rows after the filter
    all_rows: int  # rows of the table
    problem_rows: int
    first: int  # 1-based, 0 when nothing is shown
    last: int
    page: int
    pages: int
    choice: Choice
    prev_url: str = ""
    next_url: str = ""
    first_url: str = ""
    hidden: list = field(default_factory=list)  # [(name, value)] of the other tables' choices, for the filter form

    @property
    def text(self):
        if not self.total:
            return f"No rows match (of {self.all_rows:,})."
        out = f"Rows {self.first:,}–{self.last:,} of {self.total:,}"
        if self.total != self.all_rows:
            out += f" matching (of {self.all_rows:,})"
        if self.problem_rows and not self.choice.problems:
            out += f"; the {self.problem_rows:,} rows of rigs needing attention come first"
        return out + "."


def choose(n, problem, text, choice, limit, table_id="", params=None):
    """(indices of the rows to show, in order; Pager or None when the table is shown whole).

    ``problem(i)`` says whether row i belongs to a rig needing attention; ``text(i)`` is the
    row's searchable text (only asked for when filtering)."""
    if n <= limit and not choice.words and not choice.problems:
        return list(range(n)), None
    words = choice.words
    rows = [i for i in range(n) if all(w in text(i) for w in words)] if words else range(n)
    order = [i for i in rows if problem(i)]
    n_problems = len(order)
    if not choice.problems:
        order += [i for i in rows if not problem(i)]
    total = len(order)
    pages = max(1, -(-total // limit))
    page = min(choice.page, pages)
    shown = order[(page - 1) * limit:page * limit]
    return shown, pager(table_id, total, n, n_problems, page, len(shown), limit, choice, params)


def pages_of(total, limit, choice):
    """(the page shown, how many there are) of ``total`` rows."""
    pages = max(1, -(-total // limit))
    return min(choice.page, pages), pages


def pager(table_id, total, n, n_problems, page, shown, limit, choice, params):
    """The Pager of a table of ``n`` rows, ``total`` of them chosen, ``shown`` of those on ``page``."""
    pages = max(1, -(-total // limit))
    result = Pager(table_id, total, n, n_problems, (page - 1) * limit + 1 if shown else 0,
                   (page - 1) * limit + shown, page, pages, choice)
    params = {k: v for k, v in (params or {}).items() if isinstance(v, str)}
    mine = {f"{table_id}-page", f"{table_id}-q", f"{table_id}-problems"}

    def link(to_page):
        query = {k: v for k, v in params.items() if k not in mine}
        if choice.q:
            query[f"{table_id}-q"] = choice.q
        if choice.problems:
            query[f"{table_id}-problems"] = "1"
        if to_page > 1:
            query[f"{table_id}-page"] = str(to_page)
        return "?" + urlencode(query) if query else "?"

    if page > 1:
        result.prev_url, result.first_url = link(page - 1), link(1)
    if page < pages:
        result.next_url = link(page + 1)
    result.hidden = sorted((k, v) for k, v in params.items() if k not in mine)
    return result


def flat(params):
    """A QueryDict or {name: [values]} as {name: last value}."""
    if hasattr(params, "dict"):
        return params.dict()
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in params.items()}
