"""One throttled login for every form (the panel's and the admin's).

The backend refuses to check a password while the name or the address is locked,
so no form can log in around the lock; every failed attempt is recorded through
Django's user_login_failed signal, and the attempt that locks a name is audited.
"""

import logging
from functools import wraps

from django.contrib import messages
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.shortcuts import render

from .models import FailedLogin

log = logging.getLogger("minerpanel.auth")
LOCKED = "Too many failed logins. Try again in 15 minutes."


def client_address(request):
    return (request.META.get("REMOTE_ADDR") or None) if request is not None else None


class ThrottledBackend(ModelBackend):
    """Django's model backend, which says no while the name or address is locked."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if FailedLogin.blocked((username or "")[:150], client_address(request)):
            raise PermissionDenied(LOCKED)  # authenticate() stops here and signals the failure
        return super().authenticate(request, username=username, password=password, **kwargs)


@receiver(user_login_failed)
def record_failure(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    address = client_address(request)
    was_blocked = FailedLogin.blocked(username, address)
    FailedLogin.objects.create(username=username, address=address)
    FailedLogin.forget_old()
    log.info("failed login for %r from %s", username, address)
    if not was_blocked and FailedLogin.blocked(username, address):
        from rigs.models import AuditEntry

        where = request.path if request is not None else "?"
        log.warning("login locked for %r from %s", username, address)
        AuditEntry.objects.create(username=username or "(empty)", address=address, command="login",
                                  outcome="locked", message=f"{FailedLogin.LIMIT} failed logins at {where}: "
                                                            "locked for 15 minutes")


def throttled(view):
    """A login view that answers 429 with a clear message while the name or address is locked."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "POST":
            username = request.POST.get("username", "")[:150]
            if FailedLogin.blocked(username, client_address(request)):
                log.warning("login throttled for %r from %s at %s", username, client_address(request), request.path)
                messages.error(request, LOCKED)
                return render(request, "registration/login.html", {"throttled": True}, status=429)
        return view(request, *args, **kwargs)

    return wrapper
