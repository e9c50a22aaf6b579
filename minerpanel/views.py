import logging

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import render

from django.contrib.auth.decorators import login_required

from .models import ApiToken, FailedLogin

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


@login_required
def tokens(request):
    """The user's API tokens: create one (shown once), revoke one."""
    from django.shortcuts import redirect

    from .tiers import SYS, tier

    new = None
    if request.method == "POST":
        if "revoke" in request.POST:
            ApiToken.objects.filter(user=request.user, pk=request.POST.get("revoke")).delete()
            messages.success(request, "Token revoked.")
            return redirect("tokens")
        control = request.POST.get("can_control") == "on" and tier(request.user) == SYS
        token, new = ApiToken.issue(request.user, request.POST.get("name", "").strip(), control)
        log.info("%s created API token %s (control: %s)", request.user, token.prefix, control)
    return render(request, "tokens.html", {"tokens": request.user.api_tokens.order_by("-created"), "new": new,
                                           "is_sys": tier(request.user) == SYS})
