import re

from django.core.exceptions import ValidationError
from django.db import models

from . import engine
from .catalogue import known_fields, snapshot_fields, unknown_field

RESTRICTION = re.compile(r"^(.+?)\s+(set|<=|>=|=|<|>|eq|lt|le|gt|ge)(?:\s+(.*))?$")


def lines(text):
    return [ln.strip() for ln in (text or "").splitlines() if ln.strip()]


def parse_tests(text, what):
    """'STATS.Bytes Recv > 0' per line -> [[field, op, value]]"""
    out = []
    for n, ln in enumerate(lines(text), 1):
        m = RESTRICTION.match(ln)
        if not m:
            raise ValidationError(f"line {n}: '{ln}' is not 'FIELD RESTRICTION VALUE' "
                                  f"(restrictions: {', '.join(sorted(engine.RESTRICTIONS))})")
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
    public = models.BooleanField(default=False, help_text="Visible without logging in (the def tier); the first public page is their landing page.")

    class Meta:
        ordering = ["order", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("custom_page", args=[self.slug])

    def definitions(self):
        return [s.definition() for s in self.sections.all()]

    def as_json(self):
        return {"name": self.name, "slug": self.slug, "order": self.order, "public": self.public,
                "sections": [s.export() for s in self.sections.all()]}


class PageSection(models.Model):
    TEXT_FIELDS = ("fields", "totals", "where", "group", "calc", "having", "bgen", "gen", "sort", "formats")

    page = models.ForeignKey(CustomPage, on_delete=models.CASCADE, related_name="sections")
    order = models.IntegerField(default=0)
    section = models.CharField(max_length=40, help_text="SUMMARY, POOL, DEVS, ... DATE, RIGS, or a join such as SUMMARY+POOL")
    title = models.CharField(max_length=80, blank=True)
    fields = models.TextField(blank=True, help_text="One per line; 'Field=Header' renames; * for all; # numbers rows")
    totals = models.TextField(blank=True, help_text="Fields to total, one per line (original names)")
    where = models.TextField(blank=True, help_text="Before grouping, one per line: FIELD RESTRICTION VALUE (e.g. POOL.Status eq Alive)")
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

    class Meta:
        ordering = ["order", "id"]

    def __str__(self):
        return self.title or self.section

    def definition(self):
        return {
            "section": self.section.strip().upper(), "title": self.title,
            "fields": lines(self.fields), "totals": lines(self.totals),
            "where": parse_tests(self.where, "where"), "group": lines(self.group),
            "calc": parse_pairs(self.calc, "function"), "having": parse_tests(self.having, "having"),
            "bgen": parse_pairs(self.bgen, "formula"), "gen": parse_pairs(self.gen, "formula"),
            "sort": lines(self.sort), "formats": parse_pairs(self.formats, "format"),
        }

    def export(self):
        return {"order": self.order, "section": self.section, "title": self.title,
                **{f: getattr(self, f) for f in self.TEXT_FIELDS}}

    def clean(self):
        errors = {}
        for name, parser, what in (("where", parse_tests, "where"), ("having", parse_tests, "having"),
                                   ("calc", parse_pairs, "function"), ("bgen", parse_pairs, "formula"),
                                   ("gen", parse_pairs, "formula"), ("formats", parse_pairs, "format")):
            try:
                parser(getattr(self, name), what)
            except ValidationError as exc:
                errors[name] = exc.messages
        if errors:
            raise ValidationError(errors)
        try:
            engine.validate(self.definition(), known=known_fields())
        except engine.PageError as exc:
            raise ValidationError({field_of(str(exc)): str(exc)}) from None
        self.check_names()

    def check_names(self):
        """Every field a box names is one the rigs send (the catalogue and the latest
        snapshots), else the box says which and suggests the closest."""
        definition = self.definition()
        if definition["section"] in engine.FIXED:
            return
        known = known_fields() | snapshot_fields() | set(definition["bgen"]) | set(definition["gen"])
        plain = engine.plain_names(definition)
        errors = {}
        boxes = {"fields": [engine.parse_field(f)[0] for f in plain["fields"]], "totals": plain["totals"],
                 "where": [t[0] for t in plain["where"]], "having": [t[0] for t in plain["having"]],
                 "group": plain["group"], "calc": list(plain["calc"]), "sort": [f.lstrip("-") for f in plain["sort"]]}
        for box, names in boxes.items():
            problems = [m for m in (unknown_field(n, known) for n in names) if m]
            if problems:
                errors[box] = problems
        if errors:
            raise ValidationError(errors)


def field_of(message):
    """Which form field a PageError is about."""
    for prefix, field in (("where", "where"), ("having", "having"), ("calc", "calc"), ("bgen", "bgen"),
                          ("gen", "gen"), ("formats", "formats"), ("field", "fields"), ("a field", "fields")):
        if message.startswith(prefix):
            return field
    return "section"
