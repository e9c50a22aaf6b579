from .alerts import firing_count


def alerts(request):
    """The header's count of firing, unacknowledged alerts (logged-in users only)."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {"alerts_firing": firing_count}  # a callable: counted only when the header shows it
