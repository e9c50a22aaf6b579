"""Carry a miner.php plan (plan.Plan) into the database: rigs, accounts, pages.

All or nothing, in one transaction; a dry run does the same work (every object
validated, pages through importpages) and rolls it back, so its report is what a
real run would do. Running it again creates nothing twice: a rig at the same
address, an account with the same name and a page with the same content are left
as they are.
"""

import io
import json
import logging
import tempfile

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction

from custompages.catalogue import known_fields
from custompages.models import CustomPage, PageSection
from minerpanel.tiers import join_tier
from rigs.models import Rig

from . import php_reader
from .plan import BUILTIN_PAGES, translate

log = logging.getLogger(__name__)
PASSWORD_ADVICE = ("the passwords were plaintext in the file: they are stored hashed; ask each imported user to "
                   "change theirs (their account page), and delete the file or keep it where nobody reads it")


class CarryOverError(Exception):
    def __init__(self, problems):
        super().__init__("; ".join(problems))
        self.problems = problems


class _DryRun(Exception):
    pass


def plan_for(text):
    return translate(php_reader.read(text), known_fields())


def messages(exc):
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return " ".join(exc.messages)


def carry_over(plan, dry_run=False):
    """Apply ``plan``; returns {"rigs", "users", "pages"} report lines. Raises CarryOverError."""
    if plan.problems:
        raise CarryOverError(plan.problems)
    report = {"rigs": [], "users": [], "pages": []}
    errors = []
    try:
        with transaction.atomic():
            add_rigs(plan, report["rigs"], errors)
            add_pages(plan, report["pages"], errors)
            add_users(plan, report["users"], errors, dry_run)
            if errors:
                raise CarryOverError(errors)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    except CarryOverError as exc:
        log.warning("miner.php import refused: %s", exc)
        raise
    if not dry_run:
        log.info("miner.php import: %d rig, %d account and %d page lines", *map(len, report.values()))
    return report


def add_rigs(plan, out, errors):
    existing = {(r.host, r.port): r.name for r in Rig.objects.filter(path="").only("host", "port", "name")}
    for entry in plan.rigs:
        name = existing.get((entry["host"], entry["port"]))
        if name is not None:
            out.append(f"= rig {entry['entry']}: exists already as '{name}'")
            continue
        rig = Rig(name=entry["name"], host=entry["host"], port=entry["port"], kind="cgminer")
        try:
            rig.full_clean()
        except ValidationError as exc:
            errors.append(f"rig '{entry['entry']}': {messages(exc)}")
            continue
        rig.save()
        out.append(f"+ rig '{rig.name}' at {rig.address}")


def comparable(page):
    keys = ("section", "title", *PageSection.TEXT_FIELDS)
    return [{k: (s.get(k) or "").strip() for k in keys} for s in page["sections"]], page["public"]


def add_pages(plan, out, errors):
    public = set(plan.public)
    changed = []
    for name in plan.builtins:
        page = CustomPage.objects.filter(name=name).first()
        if page:
            out.append(f"= page '{name}': the panel's built-in page of that name, kept as it is (/pages/{page.slug}/)")
        else:
            changed.append(dict(BUILTIN_PAGES[name], public=name in public))
            out.append(f"+ page '{name}': the panel's built-in page of that name, created again "
                       f"at /pages/{changed[-1]['slug']}/")
    for entry in plan.pages:
        entry = dict(entry, public=entry["name"] in public)
        existing = CustomPage.objects.filter(name=entry["name"]).first() or \
            CustomPage.objects.filter(slug=entry["slug"]).first()
        if existing:
            entry["slug"] = existing.slug
            entry["order"] = existing.order
            if comparable(existing.as_json()) == comparable(entry):
                out.append(f"= page '{entry['name']}': unchanged")
                continue
            out.append(f"~ page '{entry['name']}': replaced by the file's ({len(entry['sections'])} sections)")
        else:
            out.append(f"+ page '{entry['name']}' at /pages/{entry['slug']}/ ({len(entry['sections'])} sections)")
        changed.append(entry)
    if changed:
        with tempfile.NamedTemporaryFile("w", suffix=".json") as fh:  # the pages' one import path
            json.dump(changed, fh)
            fh.flush()
            try:
                call_command("importpages", fh.name, keep_unknown_fields=True, stdout=io.StringIO())
            except CommandError as exc:
                errors.append(f"pages: {exc}")
                return
    for name in plan.public:
        page = CustomPage.objects.filter(name=name).first()
        if page is None:
            out.append(f"! $userlist['def'] names the page '{name}', which does not exist: skipped")
        elif not page.public:
            page.public = True
            page.save(update_fields=["public"])
            out.append(f"~ page '{name}': public (def)")


def add_users(plan, out, errors, dry_run):
    for entry in plan.users:
        if User.objects.filter(username=entry["name"]).exists():
            out.append(f"= user '{entry['name']}': exists already (its password and tier are left as they are)")
            continue
        user = User(username=entry["name"], is_staff=entry["tier"] == "sys")
        try:
            user.full_clean(exclude=["password"])
        except ValidationError as exc:
            errors.append(f"user '{entry['name']}': {messages(exc)}")
            continue
        if not entry["password"]:
            user.set_unusable_password()
            note = "no password in the file: set one with the admin before it can log in"
        elif dry_run:
            user.set_unusable_password()  # not hashed for a plan that is rolled back
            note = "password from the file, stored hashed"
        else:
            user.set_password(entry["password"])
            note = "password from the file, stored hashed"
        user.save()
        join_tier(user, entry["tier"])
        out.append(f"+ {entry['tier']} user '{user.username}' ({note})")


def report_lines(plan, report):
    """The plan as text: what is (or would be) created, changed, skipped, and the settings to add."""
    out = []
    for title, key in (("rigs", "rigs"), ("accounts", "users"), ("custom pages", "pages")):
        if report[key]:
            out.append(f"{title}:")
            out.extend(f"  {line}" for line in report[key])
    if any(line.startswith("+") for line in report["users"]):
        out.append(f"  note: {PASSWORD_ADVICE}")
    if plan.env:
        out.append("settings that live in the environment: add these lines to the panel's environment "
                   "(e.g. the systemd unit's Environment= or an env file) and restart it:")
        out.extend(f"  {line}" for line in plan.env_lines())
    if plan.discovery:
        out.append("  $mcast was on: find the rigs now with `manage.py discover --mcast --register`")
    if plan.notes:
        out.append("skipped or changed on the way:")
        out.extend(f"  {note}" for note in plan.notes)
    if not any(report.values()) and not plan.env:
        out.append("nothing to import: the file sets none of miner.php's settings")
    return out
