def custom_pages(request):
    """Links to the custom pages this visitor may see (one query, lazily)."""
    from custompages.views import visible_pages

    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {"custom_pages": lambda: visible_pages(user)}
