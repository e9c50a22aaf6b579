"""Who may act on the automation pages: sys users, by POST (CSRF is checked by Django's middleware, its
failures audited by the panel's CSRF view). Every refusal is audited, as on the rig controls."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseForbidden, HttpResponseNotAllowed

from minerpanel.auth import client_address
from minerpanel.tiers import SYS, tier
from rigs.control import audit


def sys_post(view):
    """POST only, sys users only; the refusal audited under the view's name (curtail-now, pools-apply...)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        refusal = None
        if not request.user.is_authenticated:
            refusal, response = "not logged in", redirect_to_login(request.get_full_path())
        elif tier(request.user) != SYS:
            refusal, response = "only sys users may do this", HttpResponseForbidden(
                "Only sys users may curtail, resume or set pools.")
        if refusal:
            audit(request.user, client_address(request), None, view.__name__.replace("_", "-"), {}, "refused",
                  message=refusal)
            return response
        return view(request, *args, **kwargs)

    return wrapper
