def custom_pages(request):
    """Links to the custom pages this visitor may see (one query, lazily)."""
    from custompages.views import visible_pages

    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {"custom_pages": lambda: visible_pages(user)}


def attention(request):
    """The header's "N rigs need attention" (one light query, lazily, for logged-in users)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from rigs.web.ready_read import attention as count

    return {"attention": count}


def panel(request):
    """The panel's title (PANEL_TITLE); for logged-in users whether the pollers are behind (lazily: one
    cache read when the header shows it), and for sys users the warning of the last scheduled discovery."""
    from django.conf import settings

    from rigs.polling import behind

    out = {"panel_title": settings.PANEL_TITLE}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        out["pollers_behind"] = behind.latest
    if settings.DISCOVERY and user is not None and user.is_staff:
        from rigs.discovery.register import last_round

        last = last_round()
        out["discovery_warning"] = last and last["warning"]
    return out
