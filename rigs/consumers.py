"""Live refresh: push re-rendered table fragments to open pages when the poller publishes.

Each socket renders for its own viewer (tier decides what is shown), at most
once a second, and only when rigs it shows changed.
"""

import asyncio
import time
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.template.loader import render_to_string

from .poller import GROUP

MIN_GAP = 1.0


def render_fragment(user, page, params=None):
    """The live fragment of a page; ``params``: the page's query (which rows of long tables)."""
    from . import pages
    from .models import Rig

    if page.startswith("custom:"):
        from custompages.models import CustomPage
        from custompages.render import page_context

        custom = CustomPage.objects.filter(slug=page[7:]).first()
        if custom is None or not (custom.public or user.is_authenticated):
            return ""
        return render_to_string("custompages/_live.html", {**page_context(user, custom, params), "oob": True})
    if page.startswith("summary"):
        with pages.no_gc_pauses():
            return render_to_string("rigs/_live.html", {**pages.summary_context(
                user, problems=page.endswith(":problems"), params=params), "oob": True})
    rig = Rig.objects.select_related("snapshot").filter(pk=int(page)).first()
    if rig is None:
        return ""
    return render_to_string("rigs/_live_rig.html", {**pages.rig_context(user, rig), "oob": True})


def is_public(slug):
    from custompages.models import CustomPage

    return CustomPage.objects.filter(slug=slug, public=True).exists()


class LiveConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        kwargs = self.scope["url_route"]["kwargs"]
        if "slug" in kwargs:
            self.page = f"custom:{kwargs['slug']}"
        else:
            self.page = "summary" if "pk" not in kwargs else str(kwargs["pk"])
            query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
            if self.page == "summary" and query.get("problems") == ["1"]:
                self.page = "summary:problems"
        allowed = user is not None and user.is_authenticated
        if not allowed and "slug" in kwargs:
            allowed = await database_sync_to_async(is_public)(kwargs["slug"])
        if not allowed:
            await self.close(code=4403)
            return
        self.last = 0.0
        self.pending = None
        await self.channel_layer.group_add(GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(GROUP, self.channel_name)
        if self.pending:
            self.pending.cancel()

    async def rigs_updated(self, event):
        if self.page.isdigit() and int(self.page) not in event.get("rigs", []):
            return
        if self.pending is not None:
            return  # a push is already on its way
        wait = max(0.0, MIN_GAP - (time.monotonic() - self.last))
        self.pending = asyncio.ensure_future(self.push_after(wait))

    async def push_after(self, wait):
        try:
            await asyncio.sleep(wait)
            query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
            html = await sync_to_async(render_fragment)(self.scope["user"], self.page, query)
            self.last = time.monotonic()
            if html:
                await self.send(text_data=html)
        finally:
            self.pending = None
