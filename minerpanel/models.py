from datetime import timedelta

from django.db import models
from django.utils import timezone


class FailedLogin(models.Model):
    """One failed login, kept for the throttle window."""

    username = models.CharField(max_length=150, db_index=True)
    address = models.GenericIPAddressField(null=True, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    WINDOW = timedelta(minutes=15)
    LIMIT = 5

    @classmethod
    def blocked(cls, username, address, now=None):
        """True when this name or address failed LIMIT times within WINDOW."""
        since = (now or timezone.now()) - cls.WINDOW
        recent = cls.objects.filter(at__gte=since)
        return (recent.filter(username=username).count() >= cls.LIMIT
                or (address and recent.filter(address=address).count() >= cls.LIMIT * 4))

    @classmethod
    def forget_old(cls):
        cls.objects.filter(at__lt=timezone.now() - cls.WINDOW).delete()
