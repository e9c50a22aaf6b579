import logging

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.templatetags.static import static

from .auth import throttled
from .models import ApiToken
from .values import parse_id

log = logging.getLogger("minerpanel.auth")


@throttled
def login(request):
    """Django's login, throttled as every login form is (minerpanel.auth)."""
    return auth_views.LoginView.as_view()(request)


def favicon(request):
    """The panel's icon, for the pages that name none (the admin's), whose browsers ask /favicon.ico."""
    return redirect(static("favicon.svg"), permanent=True)


@login_required
def tokens(request):
    """The user's API tokens: create one (shown once), revoke one."""
    from django.shortcuts import redirect

    from .tiers import SYS, tier

    new = None
    if request.method == "POST":
        if "revoke" in request.POST:
            revoke = parse_id(request.POST.get("revoke"))
            deleted = revoke and ApiToken.objects.filter(user=request.user, pk=revoke).delete()[0]
            if deleted:
                messages.success(request, "Token revoked.")
            else:
                messages.error(request, "No such token of yours: nothing was revoked.")
            return redirect("tokens")
        control = request.POST.get("can_control") == "on" and tier(request.user) == SYS
        name = "".join(c for c in request.POST.get("name", "")[:64] if c.isprintable()).strip()
        token, new = ApiToken.issue(request.user, name, control)
        log.info("%s created API token %s (control: %s)", request.user, token.prefix, control)
    return render(request, "tokens.html", {"tokens": request.user.api_tokens.order_by("-created"), "new": new,
                                           "is_sys": tier(request.user) == SYS})
