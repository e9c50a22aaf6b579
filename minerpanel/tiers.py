"""Access tiers, miner.php's $userlist done properly.

sys: every page and privileged controls (superusers, or members of the group "sys").
usr: every page, read-only (any other account).
def: not logged in; only custom pages marked public.
"""

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

SYS, USR, DEF = "sys", "usr", "def"


def tier(user):
    if not user.is_authenticated:
        return DEF
    if user.is_superuser or any(g.name == SYS for g in user.groups.all()):
        return SYS
    return USR


def readonly(user, rig=None):
    """Whether controls are hidden and refused for this user (and rig)."""
    return settings.READONLY or tier(user) != SYS or bool(rig is not None and rig.readonly)


def usr_required(view):
    """Logged-in users (usr and sys); visitors go to the login page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def sys_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if tier(request.user) != SYS:
            raise PermissionDenied("sys users only")
        return view(request, *args, **kwargs)

    return wrapper
