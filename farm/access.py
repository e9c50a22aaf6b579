"""Who may act on the farm's and the automation's pages: sys users, by POST (CSRF is checked by Django's
middleware, its failures audited by the panel's CSRF view). Every refusal is audited, as on the rig
controls, under the view's name (maintenance-start, curtail-now, pools-apply...)."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseForbidden, HttpResponseNotAllowed

from minerpanel.auth import client_address
from minerpanel.tiers import SYS, tier
from rigs.control import audit


def sys_post(refusal, forbidden):
    """A decorator: POST only, sys users only; ``refusal`` is audited, ``forbidden`` shown to the user."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method != "POST":
                return HttpResponseNotAllowed(["POST"])
            refused = None
            if not request.user.is_authenticated:
                refused, response = "not logged in", redirect_to_login(request.get_full_path())
            elif tier(request.user) != SYS:
                refused, response = refusal, HttpResponseForbidden(forbidden)
            if refused:
                audit(request.user, client_address(request), None, view.__name__.replace("_", "-"), {}, "refused",
                      message=refused)
                return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
