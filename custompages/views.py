from django.contrib.auth.views import redirect_to_login
from django.shortcuts import get_object_or_404, render

from rigs.web.views import header

from . import render as page_render
from .models import SLUG, CustomPage

HOME = "summary"  # the page '/' shows: miner.php's Summary, editable and replaceable in the admin


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
