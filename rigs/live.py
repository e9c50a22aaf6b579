"""Live refresh: push re-rendered table fragments to open pages when the poller publishes.

Each socket renders for its own viewer (tier decides what is shown), at most once a second, and only
when the batch stored rigs it shows or changed its tables' totals or counts (the poller's announcement
says which: rigs/polling/poller.stored). One render per page, tier and query, shared by their sockets;
its tables drawn once for every process (rigs/web/drawn.py). A socket is sent the tables that changed
since its last push, not the whole page again (rigs/web/changes.py).
"""

import asyncio
import time
from typing import NamedTuple
from urllib.parse import parse_qs

from django.template.loader import render_to_string

from rigs.web.changes import Sent, parse
from rigs.web.push import PushConsumer, SharedChecks, SharedRenders, viewer_now

MIN_GAP = 1.0


def render_fragment(user, page, params=None):
    """The live fragment of a page; ``params``: the page's query (which rows of long tables)."""
    return fragment(user, page, params)[0]


class Waiting(NamedTuple):
    """A section the poller's side is preparing: a page that shows it wants the batch that builds it."""

    shows: tuple


def interest_of(tables):
    """(ready table keys, rig ids) the tables shown were drawn from."""
    keys, rigs = set(), set()
    for t in tables:
        if getattr(t, "shows", None):
            keys.add(t.shows[0])
            rigs.update(t.shows[1])
    return keys, rigs


def wanted(interest, event, query):
    """Whether a batch changes what a page showed: one of its rigs was stored, or one of its tables'
    totals or counts changed (a filter may let other rows in: pushed)."""
    if interest is None or any(k.endswith("-q") and v != [""] for k, v in (query or {}).items()):
        return True
    keys, rigs = interest
    return bool(keys.intersection(event.get("tables", ())) or rigs.intersection(event.get("rigs", ())))


def fragment(user, page, params=None):
    """(the live fragment of a page, its interest: interest_of) ; ("", None) when there is none."""
    from rigs.models import Rig
    from rigs.web import ready_read, view_models

    if page.startswith("custom:"):
        from custompages.models import CustomPage
        from custompages.render import page_context

        custom = CustomPage.objects.filter(slug=page[7:]).first()
        if custom is None or not (custom.public or user.is_authenticated):
            return "", None
        ctx = page_context(user, custom, params)
        return (render_to_string("custompages/_live.html", {**ctx, "oob": True}),
                interest_of([b["table"] for b in ctx["blocks"] if "table" in b]
                            + [Waiting((b["waits"], set())) for b in ctx["blocks"] if "waits" in b]))
    if page.startswith("summary"):
        ctx = ready_read.farm_context(user, problems=page.endswith(":problems"), params=params)
        return render_to_string("rigs/_live.html", {**ctx, "oob": True}), interest_of(ctx["tables"])
    rig = Rig.objects.select_related("snapshot").filter(pk=int(page)).first()
    if rig is None:
        return "", None
    return render_to_string("rigs/_live_rig.html", {**view_models.rig_context(user, rig), "oob": True}), None


def public_pages(slugs):
    from custompages.models import CustomPage

    return dict.fromkeys(CustomPage.objects.filter(slug__in=slugs, public=True).values_list("slug", flat=True), True)


_public = SharedChecks(public_pages)  # asked by the anonymous sockets of public pages, at connect and each push


async def current_viewer_and_tier(scope, page):
    """(the viewer as of now, its tier), or (None, None) when the socket must close: the session was
    logged out or expired, the account was disabled or its password changed, or a public page stopped
    being public. Asked together with the process's other sockets (rigs/web/push.py's SharedChecks)."""
    from django.contrib.auth.models import AnonymousUser

    from minerpanel.tiers import tier

    user = scope.get("user")
    if user is not None and user.is_authenticated:
        viewer = await viewer_now(scope)
    elif page.startswith("custom:") and await _public.get(page[7:]):
        viewer = AnonymousUser()
    else:
        viewer = None
    return viewer, (tier(viewer) if viewer is not None else None)  # (groups read with the user: no query)


class LiveConsumer(PushConsumer):
    gap = MIN_GAP
    interest = None  # what its last push showed (interest_of); None: not known yet

    async def connect(self):
        self.sent = Sent()
        user = self.scope.get("user")
        kwargs = self.scope["url_route"]["kwargs"]
        # the page's query: which page of long tables, the filter (pushes show the same rows)
        self.query = parse_qs(self.scope.get("query_string", b"").decode("latin-1")[:2000])
        if "slug" in kwargs:
            self.page = f"custom:{kwargs['slug']}"
        else:
            self.page = "summary" if "pk" not in kwargs else str(kwargs["pk"])
            if self.page == "summary" and self.query.get("problems") == ["1"]:
                self.page = "summary:problems"
        allowed = user is not None and user.is_authenticated
        if not allowed and "slug" in kwargs:
            allowed = bool(await _public.get(kwargs["slug"]))
        if not allowed:
            await self.close(code=4403)
            return
        await self.join()

    async def rigs_updated(self, event):
        if self.page.isdigit() and int(self.page) not in event.get("rigs", []):
            return
        if not self.page.isdigit() and not wanted(self.interest, event, self.query):
            return  # the batch changed nothing this page shows
        self.schedule()

    async def push_after(self, wait, since):
        await asyncio.sleep(wait)
        viewer, level = await current_viewer_and_tier(self.scope, self.page)
        if viewer is None:
            await self.leave(4401)
            return None
        self.scope["user"] = viewer
        started, made, self.interest = await shared_render(viewer, level, self.page, since, self.query)
        self.last = time.monotonic()
        await self.spread()
        message = self.sent.message(made)  # the whole fragment, or what changed since the last push
        if message:
            await self.send(text_data=message)
        return started


_renders = SharedRenders(kept=1000)  # pages × tiers × queries


async def shared_render(viewer, level, page, since, query=None):
    """(when the render began, the fragment taken apart (changes.parse), its interest): one render per
    page, tier and query."""
    query = query or {}
    key = (page, level, tuple(sorted((k, tuple(v)) for k, v in query.items())))
    started, (html, interest) = await _renders.get(key, since, lambda: parsed(fragment(viewer, page, query)))
    return started, html, interest


def parsed(made):
    """(the fragment taken apart once for its sockets: changes.parse, its interest)."""
    html, interest = made
    return parse(html), interest
