"""Importing shared pages (exportpages' JSON): every value checked by the models' own
validation and the bounds, every problem named (page, box, reason), all pages or none."""

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import MAX_PAGES, MAX_SECTIONS, CustomPage, PageSection, described

PAGE_KEYS = {"name": str, "slug": str, "order": int, "public": bool, "sections": list}
SECTION_KEYS = {"order": int, "section": str, "title": str, **{f: str for f in PageSection.TEXT_FIELDS}}
MAX_ERRORS = 20
TYPE_NAMES = {str: "text", int: "a whole number", bool: "true or false", list: "a list", dict: "an object"}


def type_name(value):
    return TYPE_NAMES.get(type(value), "null" if value is None else type(value).__name__)


def _typed(obj, keys, where, errors):
    """The keys of obj that are known and of their type; unknown keys and wrong types are errors."""
    out = {}
    for key, value in obj.items():
        want = keys.get(key)
        if want is None:
            errors.append(f"{where}: unknown key '{str(key)[:40]}' (known: {', '.join(keys)})")
        elif not isinstance(value, want) or (want is int and isinstance(value, bool)):
            hint = ", one entry per line" if want is str and isinstance(value, list) else ""
            errors.append(f"{where}: {key} must be {TYPE_NAMES[want]}{hint}, not {type_name(value)}")
        else:
            out[key] = value
    return out


def _messages(exc, where):
    return [f"{where}: {m}" for m in described(exc)]


def holds_nul(value, depth=0):
    """Whether a NUL character is in any text (key or value) of the decoded file (bounded by its nesting)."""
    if isinstance(value, str):
        return "\x00" in value
    if depth > 64:
        return False
    if isinstance(value, dict):
        return any(holds_nul(k, depth + 1) or holds_nul(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(holds_nul(v, depth + 1) for v in value)
    return False


def check(data, keep_unknown_fields=False):
    """[(page, [sections])] unsaved and validated; raises ValidationError([messages]).
    keep_unknown_fields: a field no rig sends is kept (an empty column until one does), not refused."""
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ValidationError([f"the file must hold a page (an object) or a list of pages, not {type_name(data)}"])
    if len(data) > MAX_PAGES:
        raise ValidationError([f"{len(data):,} pages: at most {MAX_PAGES}"])
    if holds_nul(data):  # PostgreSQL's text and jsonb refuse it: a clear error here, not a database error
        raise ValidationError(["the file holds a NUL character (\\u0000) in a text: remove it"])
    errors, out, slugs, names = [], [], set(), set()
    for i, entry in enumerate(data, 1):
        if len(errors) >= MAX_ERRORS:
            break
        if not isinstance(entry, dict):
            errors.append(f"page {i}: a page is an object, not {type_name(entry)}")
            continue
        where = f"page {i}" + (f" ({str(entry['slug'])[:64]!r})" if isinstance(entry.get("slug"), str) else "")
        values = _typed(entry, PAGE_KEYS, where, errors)
        sections = values.pop("sections", [])
        page = CustomPage(**values)
        try:
            page.full_clean(validate_unique=False)  # a page of the same slug is replaced
        except ValidationError as exc:
            errors.extend(_messages(exc, where))
        if page.slug in slugs:
            errors.append(f"{where}: the slug '{page.slug}' is in the file twice")
        if page.name in names:
            errors.append(f"{where}: the name '{page.name}' is in the file twice")
        slugs.add(page.slug)
        names.add(page.name)
        if CustomPage.objects.filter(name=page.name).exclude(slug=page.slug).exists():
            errors.append(f"{where}: another page is already named '{page.name}'")
        if len(sections) > MAX_SECTIONS:
            errors.append(f"{where}: {len(sections):,} sections, at most {MAX_SECTIONS}")
            continue
        built = []
        for j, s in enumerate(sections, 1):
            swhere = f"{where}, section {j}"
            if not isinstance(s, dict):
                errors.append(f"{swhere}: a section is an object, not {type_name(s)}")
                continue
            section = PageSection(**{"order": j - 1, **_typed(s, SECTION_KEYS, swhere, errors)})
            section.keep_unknown_fields = keep_unknown_fields
            try:
                section.full_clean(exclude=["page"])
            except ValidationError as exc:
                errors.extend(_messages(exc, f"{swhere} ({str(section.section)[:40]})"))
            built.append(section)
        out.append((page, built))
    existing = set(CustomPage.objects.values_list("slug", flat=True))
    if not errors and len(existing | slugs) > MAX_PAGES:
        errors.append(f"with these the panel would keep {len(existing | slugs)} pages: at most {MAX_PAGES}")
    if errors:
        raise ValidationError(errors[:MAX_ERRORS])
    return out


def import_pages(data, keep_unknown_fields=False):
    """Validate, then create or replace every page (all or none); returns the saved pages."""
    checked = check(data, keep_unknown_fields)
    saved = []
    with transaction.atomic():
        for page, sections in checked:
            stored, _ = CustomPage.objects.update_or_create(
                slug=page.slug, defaults={"name": page.name, "order": page.order, "public": page.public})
            stored.sections.all().delete()
            for section in sections:
                section.page = stored
            PageSection.objects.bulk_create(sections)
            saved.append(stored)
    return saved
