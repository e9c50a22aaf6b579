import logging

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import render

from .models import FailedLogin

log = logging.getLogger("minerpanel.auth")


def client_address(request):
    return request.META.get("REMOTE_ADDR") or None


def login(request):
    """Django's login, throttled: 5 failures per name (20 per address) in 15 minutes."""
    if request.method == "POST":
        username = request.POST.get("username", "")[:150]
        address = client_address(request)
        if FailedLogin.blocked(username, address):
            log.warning("login throttled for %r from %s", username, address)
            messages.error(request, "Too many failed logins. Try again in 15 minutes.")
            return render(request, "registration/login.html", {"throttled": True}, status=429)
        response = auth_views.LoginView.as_view()(request)
        if not request.user.is_authenticated:
            FailedLogin.objects.create(username=username, address=address)
            FailedLogin.forget_old()
            log.info("failed login for %r from %s", username, address)
        return response
    return auth_views.LoginView.as_view()(request)
