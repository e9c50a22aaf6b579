from django.contrib.auth.views import redirect_to_login
from django.shortcuts import get_object_or_404, redirect, render

from rigs.models import Rig
from rigs.web.header import header
from rigs.web.views import overview

from . import render as page_render
from .models import HOME, SLUG, CustomPage


def summary(request):
    """'/': the Summary custom page (miner.php's default page), or the overview without it."""
    if not request.user.is_authenticated:
        # def visitors land on the first public custom page, else log in
        first = next(iter(visible_pages(request.user)), None)
        return redirect("custom_page", first.slug) if first else redirect_to_login(request.get_full_path())
    if not request.htmx and "all" not in request.GET:
        only = list(Rig.objects.order_by().values_list("pk", flat=True)[:2])  # (no sort of every rig)
        if len(only) == 1:  # as miner.php: with exactly one rig, its page is the default page
            return redirect("rig_detail", only[0])
    home = CustomPage.objects.filter(slug=HOME).first()
    return show(request, home) if home else overview(request)


def page(request, slug):
    page = get_object_or_404(CustomPage, slug=slug)
    if not page.public and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return show(request, page)


def show(request, page):
    ctx = page_render.page_context(request.user, page, request.GET)
    query = request.GET.urlencode()  # the pushes render the same rows: the same page of each table
    ctx.update(header(request, live_url=f"/ws/live/page/{page.slug}/" + (f"?{query}" if query else "")))
    template = "custompages/_live.html" if request.htmx else "custompages/page.html"
    return render(request, template, ctx)


def visible_pages(user):
    """The pages in the nav; one whose slug is not a URL (stored before slugs were checked) is left out."""
    pages = CustomPage.objects.only("name", "slug", "public")
    if user.is_authenticated:
        pages = pages.exclude(slug=HOME)  # the header's Summary link is '/'
    else:
        pages = pages.filter(public=True)
    return [p for p in pages if SLUG.match(p.slug)]
