import re

from django.core.exceptions import ValidationError
from django.db import models

from . import checks
from .catalogue import known_fields, snapshot_fields, unknown_field
from .definition import FIXED, RESTRICTIONS, PageError, parse_field, plain_names

# Bounds on what a page may hold, so that no page (saved in the admin or imported) can
# make a view slow or huge, and the rows one table renders.
MAX_PAGES = 100
MAX_SECTIONS = 30  # per page
MAX_LINES = 200  # per box of a section
MAX_TEXT = 20_000  # characters per box
MAX_ROWS = 2_000  # rows one table shows
SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
HOME = "summary"  # the page '/' shows: miner.php's Summary, editable and replaceable in the admin

RESTRICTION = re.compile(r"^(.+?)\s+(set|<=|>=|=|<|>|eq|lt|le|gt|ge|sub|!sub)(?:\s+(.*))?$")


def lines(text):
    return [ln.strip() for ln in (text or "").splitlines() if ln.strip()]


def parse_tests(text, what):
    """'STATS.Bytes Recv > 0' per line -> [[field, op, value]]"""
    out = []
    for n, ln in enumerate(lines(text), 1):
        m = RESTRICTION.match(ln)
        if not m:
            raise ValidationError(f"line {n}: '{ln}' is not 'FIELD RESTRICTION VALUE' "
                                  f"(restrictions: {', '.join(sorted(RESTRICTIONS))})")
        field, op, value = m.group(1).strip(), m.group(2), (m.group(3) or "").strip()
        out.append([field, op] if op == "set" else [field, op, value])
    return out


def parse_pairs(text, what):
    """'NAME=value' per line -> {name: value}"""
    out = {}
    for n, ln in enumerate(lines(text), 1):
        name, eq, value = ln.partition("=")
        if not eq or not name.strip() or not value.strip():
            raise ValidationError(f"line {n}: '{ln}' is not 'NAME={what}'")
        out[name.strip()] = value.strip()
    return out


class CustomPage(models.Model):
    name = models.CharField(max_length=64, unique=True)
    slug = models.SlugField(max_length=64, unique=True)
    order = models.IntegerField(default=0)
    public = models.BooleanField(default=False,
                                 help_text="Visible without logging in (the def tier); "
                                           "the first public page is their landing page.")

    class Meta:
        ordering = ["order", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("custom_page", args=[self.slug])

    def clean(self):
        if self._state.adding and CustomPage.objects.exclude(slug=self.slug).count() >= MAX_PAGES:
            raise ValidationError(f"There are already {MAX_PAGES} custom pages, the most the panel keeps.")

    def definitions(self):
        """Each section's definition, or the ValidationError that stops it from being shown."""
        out = []
        for s in self.sections.all()[:MAX_SECTIONS]:
            try:
                s.check_bounds()
                out.append(s.definition())
            except ValidationError as exc:
                out.append(ValidationError(f"{s}: {'; '.join(described(exc))}"))
        return out

    def as_json(self):
        return {"name": self.name, "slug": self.slug, "order": self.order, "public": self.public,
                "sections": [s.export() for s in self.sections.all()]}


class PageSection(models.Model):
    TEXT_FIELDS = ("fields", "totals", "where", "group", "calc", "having", "bgen", "gen", "sort", "formats")

    page = models.ForeignKey(CustomPage, on_delete=models.CASCADE, related_name="sections")
    order = models.IntegerField(default=0)
    section = models.CharField(max_length=40,
                               help_text="SUMMARY, POOL, DEVS, ... DATE, RIGS, or a join such as SUMMARY+POOL")
    title = models.CharField(max_length=80, blank=True)
    fields = models.TextField(blank=True, help_text="One per line; 'Field=Header' renames; * for all; # numbers rows")
    totals = models.TextField(blank=True, help_text="Fields to total, one per line (original names)")
    where = models.TextField(blank=True,
                             help_text="Before grouping, one per line: FIELD RESTRICTION VALUE "
                                       "(e.g. POOL.Status eq Alive)")
    group = models.TextField(blank=True, help_text="Group by these fields, one per line")
    calc = models.TextField(blank=True, help_text="FIELD=sum|avg|min|max|lo|hi|count|any, one per line")
    having = models.TextField(blank=True, help_text="After grouping, like where")
    bgen = models.TextField(blank=True, help_text="Formulas before grouping: NAME=formula (shown as BGEN.NAME)")
    gen = models.TextField(blank=True, help_text="Formulas after grouping: NAME=formula (shown as GEN.NAME)")
    sort = models.TextField(blank=True, help_text="Sort rows by these fields, one per line; -Field for descending. "
                                                  "Without it: rig order, then record order.")
    formats = models.TextField(blank=True, help_text="FIELD=format, one per line, instead of the usual "
                               "formatting: sent, integer, decimals1 .. decimals8, percent, percent3, rate, "
                               "mhs, elapsed, date, time, bytes")

    keep_unknown_fields = False  # an import of miner.php's pages keeps them (miner.php shows empty columns)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self):
        return self.title or self.section

    PARSED = (("where", parse_tests, "where"), ("having", parse_tests, "having"), ("calc", parse_pairs, "function"),
              ("bgen", parse_pairs, "formula"), ("gen", parse_pairs, "formula"), ("formats", parse_pairs, "format"))

    def definition(self, errors=None):
        """The section as the engine reads it. ``errors``: a dict that collects each box's parse
        errors (that box then counts as empty) instead of raising the first."""
        parsed = {}
        for name, parser, what in self.PARSED:
            try:
                parsed[name] = parser(getattr(self, name), what)
            except ValidationError as exc:
                if errors is None:
                    raise
                errors[name] = exc.messages
                parsed[name] = [] if parser is parse_tests else {}
        return {
            "section": self.section.strip().upper(), "title": self.title,
            "fields": lines(self.fields), "totals": lines(self.totals),
            "where": parsed["where"], "group": lines(self.group),
            "calc": parsed["calc"], "having": parsed["having"],
            "bgen": parsed["bgen"], "gen": parsed["gen"],
            "sort": lines(self.sort), "formats": parsed["formats"],
        }

    def export(self):
        return {"order": self.order, "section": self.section, "title": self.title,
                **{f: getattr(self, f) for f in self.TEXT_FIELDS}}

    def check_bounds(self):
        """Raise ValidationError({box: message}) for a box over MAX_TEXT characters or MAX_LINES lines."""
        errors = {}
        for name in self.TEXT_FIELDS:
            text = getattr(self, name) or ""
            if not isinstance(text, str):
                errors[name] = "must be text, one entry per line"
            elif len(text) > MAX_TEXT:
                errors[name] = f"at most {MAX_TEXT:,} characters (this has {len(text):,})"
            elif text.count("\n") >= MAX_LINES and len(lines(text)) > MAX_LINES:
                errors[name] = f"at most {MAX_LINES} lines (this has {len(lines(text)):,})"
        if errors:
            raise ValidationError(errors)

    def clean(self):
        """Every problem of every box at once (a box's own syntax, then the checks, then the names)."""
        self.check_bounds()
        errors = {}
        definition = self.definition(errors)
        for problem in checks.problems(definition, known=known_fields()):
            errors.setdefault(field_of(str(problem)), []).append(str(problem))
        if "section" not in errors and not self.keep_unknown_fields:  # the names mean nothing in a
            # section the engine does not know; the miner.php importer keeps them, with a warning
            for box, messages in self.unknown_names(definition).items():
                errors.setdefault(box, []).extend(messages)
        if errors:
            raise ValidationError(errors)

    def unknown_names(self, definition):
        """{box: messages} for every field a box names that no rig sends (the catalogue and the
        latest snapshots), each suggesting the closest."""
        if definition["section"] in FIXED:
            return {}
        known = known_fields() | snapshot_fields() | set(definition["bgen"]) | set(definition["gen"])
        plain = plain_names(definition)
        errors = {}
        boxes = {"fields": [name for name in map(field_name, plain["fields"]) if name], "totals": plain["totals"],
                 "where": [t[0] for t in plain["where"]], "having": [t[0] for t in plain["having"]],
                 "group": plain["group"], "calc": list(plain["calc"]), "sort": [f.lstrip("-") for f in plain["sort"]]}
        for box, names in boxes.items():
            problems = [m for m in (unknown_field(n, known) for n in names) if m]
            if problems:
                errors[box] = problems
        return errors


def field_name(spec):
    """A 'fields' line's field name, or None when the line is malformed (checks.problems() says why)."""
    try:
        return parse_field(spec)[0]
    except PageError:
        return None


def section_warnings(section):
    """checks.warnings for a saved section (nothing when it does not parse: clean() said why)."""
    try:
        return [f"{section}: {w}" for w in checks.warnings(section.definition(), known=known_fields())]
    except ValidationError:
        return []


def described(exc):
    """A ValidationError's messages, each prefixed by the box it is about."""
    if hasattr(exc, "error_dict"):
        return [f"{box}: {m}" if box != "__all__" else m for box, ms in exc.message_dict.items() for m in ms]
    return exc.messages


def field_of(message):
    """Which form field a PageError is about."""
    for prefix, field in (("where", "where"), ("having", "having"), ("calc", "calc"), ("bgen", "bgen"),
                          ("gen", "gen"), ("formats", "formats"), ("field", "fields"), ("a field", "fields")):
        if message.startswith(prefix):
            return field
    return "section"
