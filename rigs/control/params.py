"""A command's parameters as a Django form, the one path from what a user typed to what is sent.

``form_class(command)`` builds a ``django.forms.Form`` from a command's description (rigs/drivers/described.py):
a field per ``Param`` with its type, range, choices and whether it is required, and its widget for the
rig page's and Bulk's forms (rigs/control/forms.py reads them). The checks that need the rig's latest
snapshot (its pools, devices, clients) are the form's ``clean_<name>`` methods, given the sections.
``clean`` validates values with it for ``control.run``, the views and the API alike.

The error messages are the panel's own words, one per parameter, as users and the API have always seen
them ("required", "'x' is not a whole number", "the rig has no pool 7"...).
"""

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.forms import DeclarativeFieldsMetaclass

from rigs.drivers.cgminer.protocol import as_number
from rigs.drivers.described import URL_SCHEMES, Command, Param

# the kinds of parameter whose values only the rig's latest snapshot knows
SNAPSHOT_KINDS = ("pool", "pools", "device", "client")


class Invalid(ValueError):
    """Values a command refuses: ``errors`` is {param: message}, in the command's order."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def pool_ids(sections: Mapping) -> set[int]:
    return {int(n) for p in sections.get("POOLS") or [] if isinstance(p, dict)
            for n in [as_number(p.get("POOL"))] if n is not None}


def client_ids(sections: Mapping) -> set[str]:
    return {str(c.get("Client")) for c in sections.get("CLIENTS") or [] if isinstance(c, dict) and c.get("Client")}


def device_ids(sections: Mapping, kind: str | None) -> set[int]:
    ids = set()
    for d in sections.get("DEVS") or []:
        if isinstance(d, dict) and kind in d and as_number(d[kind]) is not None:
            ids.add(int(as_number(d[kind])))
    return ids


# ---------------------------------------------------------------- fields, one class per kind of parameter


class ParamField(forms.Field):
    """A parameter's value: its text stripped (a number 0 from JSON is a value, not a missing one), then
    converted by ``convert``; an empty one is None, refused as "required" when the parameter is."""

    widget: Any = forms.TextInput
    default_error_messages = {"required": "required"}

    def __init__(self, param: Param) -> None:
        self.param = param
        super().__init__(required=param.required, label=param.label or param.name)

    def to_python(self, value: Any) -> Any:
        raw = "" if value is None else str(value).strip()
        return self.convert(raw) if raw else None

    def convert(self, raw: str) -> Any:
        """The default, text: at most 200 printable characters."""
        if len(raw) > 200 or any(ord(c) < 32 for c in raw):
            raise ValidationError("at most 200 printable characters")
        return raw

    def validate(self, value: Any) -> None:
        if value is None and self.required:
            raise ValidationError(self.error_messages["required"], code="required")


def whole(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ValidationError(f"'{raw}' is not a whole number") from None


class IntField(ParamField):
    widget = forms.NumberInput

    def convert(self, raw: str) -> int:
        n, p = whole(raw), self.param
        if (p.lo is not None and n < p.lo) or (p.hi is not None and n > p.hi):
            raise ValidationError(f"must be between {p.lo:g} and {p.hi:g}")
        return n

    def widget_attrs(self, widget: forms.Widget) -> dict:
        return {"min": self.param.lo, "max": self.param.hi, "step": "1"}


class FloatField(ParamField):
    widget = forms.NumberInput

    def convert(self, raw: str) -> float:
        try:
            f = float(raw)
        except ValueError:
            raise ValidationError(f"'{raw}' is not a number") from None
        lo, hi = self.param.lo, self.param.hi
        if lo is None or hi is None or not (lo <= f <= hi):
            raise ValidationError(f"must be between {lo:g} and {hi:g}")
        return f

    def widget_attrs(self, widget: forms.Widget) -> dict:
        return {"min": self.param.lo, "max": self.param.hi, "step": "0.01"}


class NumberedField(ParamField):
    """A pool's or a device's number, offered from the rig's snapshot (the form's clean method checks it)."""

    widget = forms.Select

    def convert(self, raw: str) -> int:
        return whole(raw)


class PoolsField(ParamField):
    """Pool numbers in order, comma-separated (the form checks them against the snapshot)."""

    def convert(self, raw: str) -> list[int]:
        try:
            return [int(x) for x in raw.split(",") if x.strip()]
        except ValueError:
            raise ValidationError("a comma-separated list of pool numbers") from None


class IntensityField(ParamField):
    def convert(self, raw: str) -> str:
        if raw.upper() == "D":
            return "D"
        if raw.isascii() and raw.isdigit() and 8 <= int(raw) <= 31:
            return raw
        raise ValidationError("D (dynamic) or 8 to 31")


class ChoiceField(ParamField):
    widget = forms.Select

    def __init__(self, param: Param) -> None:
        super().__init__(param)
        self.widget.choices = list(param.choices)

    def convert(self, raw: str) -> str:
        if raw not in {c for c, _ in self.param.choices}:
            raise ValidationError(f"one of {', '.join(c for c, _ in self.param.choices)}")
        return raw


class Checkbox(forms.CheckboxInput):
    """A checkbox whose value the field reads as sent (Django's widget would take "0" for ticked)."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return data.get(name)


class BoolField(ParamField):
    """Ticked or not: never required, an empty value is False."""

    widget = Checkbox

    def __init__(self, param: Param) -> None:
        super().__init__(param)
        self.required = False

    def to_python(self, value: Any) -> bool:
        return str(value).strip().lower() in ("1", "true", "on", "yes", "y") if value is not None else False


class UrlField(ParamField):
    def convert(self, raw: str) -> str:
        if not raw.startswith(URL_SCHEMES) or len(raw) < 12 or any(c.isspace() for c in raw):
            raise ValidationError("a pool URL such as stratum+tcp://pool.example.com:3333")
        hostport = raw.split("://", 1)[1].split("/", 1)[0]
        port = hostport.rpartition(":")[2]
        if ":" in hostport and not hostport.endswith("]") and not (port.isdigit() and 1 <= int(port) <= 65535):
            raise ValidationError(f"the port must be a number from 1 to 65535, not {port[:20]!r}")
        return raw

    def widget_attrs(self, widget: forms.Widget) -> dict:
        return {"placeholder": "stratum+tcp://pool.example.com:3333"}


class ClientField(ParamField):
    """A fleet's client by its id, offered from the snapshot (the form checks it)."""

    widget = forms.Select

    def convert(self, raw: str) -> str:
        return raw


class ScriptField(ParamField):
    widget = forms.Textarea

    def convert(self, raw: str) -> str:
        if len(raw) > 65536 or any(ord(c) < 32 and c not in "\n\r\t" for c in raw):
            raise ValidationError("at most 64 KB of text")
        return raw.replace("\r\n", "\n")


class SecretField(ParamField):
    widget = forms.PasswordInput


FIELDS: dict[str, type[ParamField]] = {
    "int": IntField, "float": FloatField, "pool": NumberedField, "device": NumberedField, "pools": PoolsField,
    "intensity": IntensityField, "choice": ChoiceField, "bool": BoolField, "url": UrlField, "client": ClientField,
    "script": ScriptField, "secret": SecretField, "text": ParamField,
}


# ---------------------------------------------------------------- the form


class CommandForm(forms.Form):
    """A command's form, bound to what a user sent and to the rig's latest ``sections`` (empty for
    Bulk's forms, which offer no command that needs them)."""

    command: Command

    def __init__(self, data: Mapping | None = None, sections: Mapping | None = None) -> None:
        super().__init__(data)
        self.sections = sections or {}
        for field in self.fields.values():  # what the rig offers, for the selects
            offer = self.offers(field.param)
            if offer is not None:
                field.widget.choices = offer

    def offers(self, p: Param) -> list[tuple[str, str]] | None:
        if p.kind == "pool":
            return [(str(n), f"{n}") for n in sorted(pool_ids(self.sections))]
        if p.kind == "device":
            kind = self.command.device_kind()
            return [(str(n), f"{kind} {n}") for n in sorted(device_ids(self.sections, kind))]
        if p.kind == "client":
            return [(c, c) for c in sorted(client_ids(self.sections))]
        return None

    def known_pool(self, n: int | None) -> int | None:
        known = pool_ids(self.sections)
        if n is not None and n not in known:
            raise ValidationError(f"the rig has no pool {n}"
                                  + (f" (pools: {', '.join(map(str, sorted(known)))})" if known else ""))
        return n

    def known_device(self, n: int | None) -> int | None:
        kind = self.command.device_kind()
        if n is not None and n not in device_ids(self.sections, kind):
            raise ValidationError(f"the rig has no {kind} {n}")
        return n

    def known_pools(self, order: list[int] | None) -> list[int] | None:
        if order is None:
            return None
        known = pool_ids(self.sections)
        if not order or len(set(order)) != len(order) or not set(order) <= known:
            raise ValidationError(f"each pool once, from {sorted(known)}")
        return order

    def known_client(self, client: str | None) -> str | None:
        if client is not None and client not in client_ids(self.sections):
            raise ValidationError("the server lists no such client")
        return client

    def first_errors(self) -> dict[str, str]:
        """{param: its first message}, in the command's order."""
        return {name: errors[0].messages[0] for name, errors in self.errors.as_data().items()}


CHECKS: dict[str, Callable[[CommandForm, Any], Any]] = {
    "pool": CommandForm.known_pool, "device": CommandForm.known_device, "pools": CommandForm.known_pools,
    "client": CommandForm.known_client,
}


def checker(check: Callable[[CommandForm, Any], Any], name: str) -> Callable[[CommandForm], Any]:
    def clean(form: CommandForm) -> Any:
        return check(form, form.cleaned_data.get(name))

    return clean


@cache
def form_class(command: Command) -> type[CommandForm]:
    """The command's form: a field per parameter, and a ``clean_<name>`` for each that the rig's
    snapshot must know."""
    attrs: dict[str, Any] = {"command": command}
    for p in command.params:
        attrs[p.name] = FIELDS.get(p.kind, ParamField)(p)
        if p.kind in CHECKS:
            attrs[f"clean_{p.name}"] = checker(CHECKS[p.kind], p.name)
    return DeclarativeFieldsMetaclass(f"{command.name.title().replace('-', '')}Form", (CommandForm,), attrs)


def clean(command: Command, values: Mapping, sections: Mapping) -> dict[str, Any]:
    """Validate submitted values (a POST or a JSON object) against the command and the rig's latest snapshot.

    Returns the cleaned values {param: value}; raises Invalid({param: message})."""
    data = {p.name: values.get(p.name) for p in command.params}  # one value per name, the last of a POST's
    form = form_class(command)(data, sections)
    if not form.is_valid():
        raise Invalid(form.first_errors())
    return {p.name: form.cleaned_data[p.name] for p in command.params}
