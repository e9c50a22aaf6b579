"""miner.php's custom pages ($customsummarypages, $user_pages) as importpages entries.

    entry = page_entry(name, spec, known_fields, notes, order)

Each section keeps its fields, totals, where, group, calc and having. Formulas (`gen`,
`bgen`) are PHP expressions: they are translated to our formula grammar where they
fit it and reported where they do not. Plain Python: no Django here.
"""

import re

from custompages.catalogue import unknown_field
from custompages.checks import warnings
from custompages.definition import PageError, parse_field, plain_names, referenced_fields, section_parts
from custompages.formula import FUNCTIONS, FormulaError, compile_formula

from . import php_reader

EXT_KEYS = ("where", "group", "calc", "having", "bgen", "gen")
# sections only Kano's miner.php draws (its Avalon pages: the EC code table, the MM modules of estats)
KANO_SECTIONS = re.compile(r"ECTABLE|MM\d*")
PHP_OPERATORS = [("===", "=="), ("!==", "!="), ("<>", "!="), ("&&", " and "), ("||", " or ")]


def slug(name):
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64] or "page"


def strings(value, what):
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, dict) or not all(isinstance(v, (str, int, float)) for v in value.values()):
        raise ValueError(f"{what} is not a list of names")
    return [php_reader.php_str(v) for v in value.values()]


def clean_line(text, what):
    if "\n" in text:
        raise ValueError(f"{what} '{text[:40]}' contains a line break")
    return text


def tests(value, what):
    """[['Field', '>', 0], ...] -> 'Field > 0' lines"""
    out = []
    for test in (value or {}).values() if isinstance(value, dict) else [value] if value else []:
        if not php_reader.is_list(test) or not 2 <= len(test) <= 3:
            raise ValueError(f"{what}: {test!r} is not array('Field', 'restriction', value)")
        out.append(clean_line(" ".join(php_reader.php_str(v) for v in test.values()), what))
    return "\n".join(out)


def translate_formula(php, fields):
    """A PHP expression -> our formula text; ValueError says why it does not fit."""
    text = php.strip()
    if re.search(r"[$;`{}\[\]]|\?", text):
        raise ValueError("it uses PHP beyond arithmetic (variables, ?:, arrays or statements)")
    for old, new in PHP_OPERATORS:
        text = text.replace(old, new)
    text = re.sub(r"!(?!=)", " not ", text)
    # miner.php puts a field's value wherever its name is, quotes or not: "GHS av" reads the field
    text = re.sub(r'"([^"\']*)"', lambda m: m.group(0) if m.group(1) in fields else f"'{m.group(1)}'", text)
    for name in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(", text):
        if name.lower() not in FUNCTIONS:
            raise ValueError(f"the PHP function {name}() has no equivalent (allowed: {', '.join(FUNCTIONS)})")
    text = re.sub(r"\s+", " ", text).strip()
    try:
        compile_formula(text, fields)
    except FormulaError as exc:
        raise ValueError(str(exc)) from None
    return text


def formulas(value, what, fields, notes, page):
    """{'Name' => 'formula'} (or the manual's array('Name', 'formula')) -> ('Name=formula' lines, names)"""
    if value is None:
        return "", set()
    if not isinstance(value, dict):
        raise ValueError(f"{what} is not an array of 'name' => 'formula'")
    if php_reader.is_list(value) and len(value) == 2 and all(isinstance(v, str) for v in value.values()):
        notes.append(f"page '{page}': {what} array('{value[0]}', '...') read as '{value[0]}' => '...' "
                     "(the manual's form)")
        value = {value[0]: value[1]}
    out, names = [], set()
    for name, formula in value.items():
        if not isinstance(formula, str):
            raise ValueError(f"{what} '{name}' is not a formula")
        try:
            out.append(f"{clean_line(str(name), what)}={translate_formula(formula, fields)}")
            names.add(str(name))
        except ValueError as exc:
            notes.append(f"page '{page}': {what} '{name}' = {formula!r} not carried over: {exc}")
    return "\n".join(out), names


def section_fields(specs, gens):
    """Page fields with miner.php's 'GEN.x=X||OTHER.y' alternatives as degen() has them: a formula that
    is not carried over gives way to its alternative (or the field is left out); those that remain stay
    alternatives, so a formula that cannot compute on a rig falls back to the rig's own field."""
    out = []
    for spec in specs:
        usable = [o for o in spec.split("||")
                  if not o.startswith(("GEN.", "BGEN.")) or o.partition("=")[0].split(".", 1)[1] in gens]
        if usable:
            out.append("||".join(usable))
    return out


def page_entry(name, spec, known, notes, order):
    if not isinstance(spec, dict) or not spec:
        raise ValueError("is not array($page, $totals[, $ext])")
    parts = list(spec.values())
    layout = parts[0]
    totals = parts[1] if len(parts) > 1 and isinstance(parts[1], dict) else {}
    ext = parts[2] if len(parts) > 2 and isinstance(parts[2], dict) else {}
    if not isinstance(layout, dict) or not layout:
        raise ValueError("has no sections")
    for section in [*totals, *ext]:
        if section not in layout:
            notes.append(f"page '{name}': totals or extension for '{section}', "
                         "a section the page does not show: ignored")
    sections = []
    for section, fields in layout.items():
        section = str(section)
        if KANO_SECTIONS.fullmatch(section):
            notes.append(f"page '{name}': the section {section} (Kano's Avalon table, drawn by its own PHP) has no "
                         "equivalent: skipped")
            continue
        specs = strings(fields, f"the fields of {section}")
        specs = [clean_line(s, "a field") for s in specs]
        extension = ext.get(section) or {}
        if not isinstance(extension, dict):
            raise ValueError(f"the extension of {section} is not an array")
        for key in extension:
            if key not in EXT_KEYS and key != "fmt":
                notes.append(f"page '{name}': '{key}' in the extension of {section} has no equivalent: ignored")
        if extension.get("fmt"):  # a PHP function that draws the cells: its formulas only feed it
            notes.append(f"page '{name}': {section} is drawn by the PHP function {php_reader.php_str(extension['fmt'])}"
                         "(), which the panel does not run: its formulas are left out, so its fields show their "
                         "|| alternatives (as miner.php does with $allowgen off)")
            extension = {k: v for k, v in extension.items() if k not in ("gen", "bgen")}
        calc = extension.get("calc") or {}
        if not isinstance(calc, dict):
            raise ValueError(f"calc of {section} is not an array of 'Field' => 'function'")
        group = strings(extension.get("group"), f"group of {section}")
        names = set(known) | {s.partition("=")[0] for s in specs} | set(group) | {str(k) for k in calc}
        bgen, bnames = formulas(extension.get("bgen"), f"bgen of {section}", names, notes, name)
        names |= {f"BGEN.{b}" for b in bnames}
        gen, gnames = formulas(extension.get("gen"), f"gen of {section}", names, notes, name)
        gens = bnames | gnames
        entry = {"section": section, "fields": "\n".join(section_fields(specs, gens)),
                 "totals": "\n".join(clean_line(t, "a total") for t in strings(totals.get(section),
                                                                               f"totals of {section}")),
                 "where": tests(extension.get("where"), f"where of {section}"),
                 "having": tests(extension.get("having"), f"having of {section}"),
                 "group": "\n".join(clean_line(g, "a group field") for g in group),
                 "calc": "\n".join(f"{clean_line(str(k), 'calc')}={v}" for k, v in calc.items()),
                 "bgen": bgen, "gen": gen}
        sections.append({k: v for k, v in entry.items() if v or k == "section"})
        definition = {"section": section, "fields": specs, "group": group, "calc": calc,
                      **{k: [[str(t.get(0, ""))] for t in (extension.get(k) or {}).values() if isinstance(t, dict)]
                         for k in ("where", "having")},
                      **{k: dict(line.split("=", 1) for line in entry[k].splitlines()) for k in ("bgen", "gen")}}
        unsent(name, section, definition, known, notes)
    if not sections:
        raise ValueError("has no section the panel can show")
    return {"name": name, "slug": slug(name), "order": order, "public": False, "sections": sections}


def unsent(page, section, definition, known, notes):
    """Note each field the section names that no rig sends: miner.php shows an empty column, so it is
    imported as it is (the page shows it once a rig sends it)."""
    try:
        section_parts(section)
    except PageError:
        return  # importpages names the section
    notes.extend(f"page '{page}', {section}: {w}" for w in warnings(definition, known))
    names = {parse_field(f)[0] for f in referenced_fields(plain_names(definition)) if f.strip()}
    missing = [f"'{f}'" for f in sorted(names) if not f.startswith(("GEN.", "BGEN.")) and unknown_field(f, known)]
    if missing:
        notes.append(f"page '{page}', {section}: no rig sends {'a field' if len(missing) == 1 else 'the fields'} "
                     f"{', '.join(missing)} (miner.php shows an empty column): imported as it is")
