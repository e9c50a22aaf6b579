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


class ApiToken(models.Model):
    """A per-user API token, stored as a SHA-256 hash; shown once when created."""

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=64)
    prefix = models.CharField(max_length=8, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    can_control = models.BooleanField(default=False, help_text="May send privileged commands (sys users only).")
    created = models.DateTimeField(default=timezone.now)
    last_used = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(token):
        import hashlib

        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user, name, can_control=False):
        """Create a token; returns (ApiToken, the token text, shown only now)."""
        import secrets

        text = "mp_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name[:64] or "token", prefix=text[:8], digest=cls.hash(text),
                                   can_control=can_control)
        return token, text

    @classmethod
    def lookup(cls, text):
        """The token for this text, or None (constant-time comparison of the digests)."""
        import hmac

        if not text or len(text) > 200:
            return None
        digest = cls.hash(text)
        for token in cls.objects.filter(prefix=text[:8]).select_related("user"):
            if hmac.compare_digest(token.digest, digest) and token.user.is_active:
                return token
        return None
