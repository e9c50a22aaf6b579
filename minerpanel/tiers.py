"""Access tiers, miner.php's $userlist done properly.

sys: every page and privileged controls (superusers, or members of the group "sys").
usr: every page, read-only (any other account).
def: not logged in; only custom pages marked public.
"""

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import prefetch_related_objects

SYS, USR, DEF = "sys", "usr", "def"

# Powers no tier holds: only an account given one directly (its own permissions in the admin)
# has it, superusers included; a group never passes them on (rigs migration 0014 took them off).
EXPLICIT_ONLY = ("rigs.execute_scripts",)


def tier(user):
    """The user's tier. Its groups are read once per user object (a request's: a page asks several
    times), and again after a change through it (user.groups.add() forgets what was read)."""
    if not user.is_authenticated:
        return DEF
    if user.is_superuser:
        return SYS
    user = getattr(user, "_wrapped", user)  # (request.user is a lazy object, set up by now)
    if "groups" not in getattr(user, "_prefetched_objects_cache", {}):
        prefetch_related_objects([user], "groups")
    return SYS if any(g.name == SYS for g in user.groups.all()) else USR


def join_tier(user, name):
    """Put an account in the sys or usr tier (sys users also edit rigs and pages in the admin)."""
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.get_or_create(name=name)[0]
    if name == SYS:
        perms = Permission.objects.filter(content_type__app_label__in=["rigs", "custompages", "farm", "automation"])
        for perm in EXPLICIT_ONLY:
            app, _, codename = perm.partition(".")
            perms = perms.exclude(content_type__app_label=app, codename=codename)
        group.permissions.add(*perms)
    user.groups.add(group)


def readonly(user, rig=None):
    """Whether controls are hidden and refused for this user (and rig)."""
    return settings.READONLY or tier(user) != SYS or bool(rig is not None and rig.readonly)


def granted(user, perm):
    """Whether the user was given ``perm`` ("app.codename") directly, as their own permission.

    For the powers in EXPLICIT_ONLY (EXECUTE on XMRigCC miners): unlike user.has_perm(), a
    superuser does not hold them until granted, and a group holding one grants nothing."""
    if not perm:
        return True
    if not user.is_authenticated or tier(user) != SYS:
        return False
    app, _, codename = perm.partition(".")
    return user.user_permissions.filter(content_type__app_label=app, codename=codename).exists()


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
