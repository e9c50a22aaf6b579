"""A page definition checked before it is saved: every box, and formulas that could never compute
(errors), or that use a field no rig sends (warnings). Plain Python over plain data, as the engine."""

from collections.abc import Collection, Sequence

from rigs.web.field_display import NAMED

from .definition import (
    CALCS,
    RESTRICTIONS,
    STANDARD,
    Definition,
    PageError,
    alternatives,
    referenced_fields,
    section_parts,
)
from .formula import Formula, FormulaError, compile_formula


def validate(definition: Definition, known: Collection[str] = (), formulas: bool = True) -> None:
    """Raise PageError naming the first problem of one section definition (problems() lists them all)."""
    for problem in problems(definition, known, formulas):
        raise problem


def problems(definition: Definition, known: Collection[str] = (), formulas: bool = True) -> list[PageError]:
    """Every problem of one section definition, as PageErrors, in the order of the boxes.

    Formulas are parsed against ``known`` field names (those the rigs may send)
    plus the names the definition mentions, so 'POOL.Difficulty Accepted' is
    one name and not two. A section name the engine does not know stops the list:
    the other boxes mean nothing without it.
    """
    try:
        section_parts(definition.get("section", ""))
    except PageError as exc:
        return [exc]
    out, good = [], []
    for spec in definition.get("fields", []):
        try:
            alternatives(spec)
            good.append(spec)
        except PageError as exc:
            out.append(exc)
    for key in ("where", "having"):
        for test in definition.get(key, []):
            if not isinstance(test, (list, tuple)) or len(test) not in (2, 3):
                out.append(PageError(f"{key}: {test!r} is not [field, restriction, value]"))
            elif test[1] not in RESTRICTIONS:
                allowed = ", ".join(sorted(RESTRICTIONS))
                out.append(PageError(f"{key}: unknown restriction '{test[1]}' (allowed: {allowed})"))
            elif test[1] != "set" and len(test) != 3:
                out.append(PageError(f"{key}: '{test[1]}' needs a value"))
    for fld, how in definition.get("calc", {}).items():
        if str(how).lower() not in CALCS:
            out.append(PageError(f"calc: unknown function '{how}' for '{fld}' (allowed: {', '.join(sorted(CALCS))})"))
    for fld, how in definition.get("formats", {}).items():
        if str(how).lower() not in NAMED:
            out.append(PageError(f"formats: unknown format '{how}' for '{fld}' (allowed: {', '.join(NAMED)})"))
    if not formulas:
        return out
    names = set(known) | referenced_fields({**definition, "fields": good})
    names.update(f"BGEN.{g}" for g in definition.get("bgen", {}))
    for key in ("bgen", "gen"):
        for gname, formula in definition.get(key, {}).items():
            try:
                never_computes(compile_formula(formula, names))
            except FormulaError as exc:
                out.append(PageError(f"{key} '{gname}': {exc}"))
        names.update(f"GEN.{g}" for g in definition.get("gen", {}))
    return out


PROBES = (1.0, 2.0, 3.5)


def never_computes(formula: Formula) -> None:
    """Raise FormulaError when the formula fails for every probe row (1/0, 'a'*2): it could never compute."""
    reason = None
    for value in PROBES:
        try:
            formula.evaluate({name: value for name in formula.fields})
            return
        except FormulaError as exc:
            reason = exc
    raise FormulaError(f"can never be computed ({reason})")


def warnings(definition: Definition, known: Collection[str] = ()) -> list[str]:
    """What saves but looks wrong: a field a formula reads that no row of the section has — one no rig
    sends (a typo such as 'Acceptd'), another section's ('DEVS.Temperature' in POOL), or a bare name in
    a join (whose rows only have 'SUMMARY.Elapsed', 'COIN.Network Difficulty')."""
    parts = definition.get("section", "").split("+")
    names = set(known) | referenced_fields(definition)
    names.update(f"BGEN.{g}" for g in definition.get("bgen", {}))
    names.update(f"GEN.{g}" for g in definition.get("gen", {}))
    out = []
    for key in ("bgen", "gen"):
        for gname, text in definition.get(key, {}).items():
            try:
                formula = compile_formula(text, names)
            except FormulaError:
                continue
            for used in formula.fields:
                why = unread(used, parts, known, names)
                if why:
                    out.append(f"{key} '{gname}': {why}")
    return out


def unread(name: str, parts: Sequence[str], known: Collection[str], names: Collection[str]) -> str | None:
    """Why rows of the section ``parts`` never have ``name`` (None when they may)."""
    head, dot, _ = name.partition(".")
    if head in ("GEN", "BGEN"):
        return None if name in names else f"no formula is named '{name}'"
    if name not in known:
        return (f"no rig sends a field '{name}': check its spelling "
                "(a field name with spaces is written as is or in double quotes)")
    if len(parts) == 1 and dot and head in STANDARD and head != parts[0]:
        return f"'{name}' is a field of {head}, not of this {parts[0]} section"
    if len(parts) == 2 and not (dot and head in parts):
        return f"in a joined section write the field with its section: '{parts[0]}.{name}' or '{parts[1]}.{name}'"
    return None
