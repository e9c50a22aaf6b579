"""What every page's header shows beside its own context: the refresh choice, read-only, the clock's
format. Used by the pages of every app (rigs, custom pages, watch)."""

from django.conf import settings


def refresh_of(request):
    if not settings.REFRESH_CHANGEABLE:
        return settings.REFRESH_DEFAULT
    value = request.session.get("refresh", settings.REFRESH_DEFAULT)
    return value if value in settings.REFRESH_CHOICES else settings.REFRESH_DEFAULT


def header(request, **extra):
    return {"refresh": refresh_of(request),
            "refresh_choices": settings.REFRESH_CHOICES if settings.REFRESH_CHANGEABLE else [],
            "global_readonly": settings.READONLY, "header_format": settings.DATETIME_FORMAT_HEADER, **extra}
