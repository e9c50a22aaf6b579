"""Secrets at rest: rig tokens and XMRigCC passwords are stored encrypted (Fernet: AES-128-CBC with
an HMAC), with a key derived from SECRET_KEY, so the database file alone does not give them away.

A value that cannot be decrypted (SECRET_KEY changed) reads as empty and is logged: the rig then
reports that its API wants a token, and the admin takes a new one.
"""

import base64
import logging
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models

log = logging.getLogger("minerpanel.encryption")
PREFIX = "fernet:"


@lru_cache(maxsize=4)
def fernet(secret_key):
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"minerpanel",
               info=b"rig secrets").derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(text):
    if not text or text.startswith(PREFIX):
        return text
    return PREFIX + fernet(settings.SECRET_KEY).encrypt(text.encode()).decode()


def decrypt(stored):
    if not stored or not stored.startswith(PREFIX):
        return stored  # empty, or written before encryption (the migration encrypts those)
    try:
        return fernet(settings.SECRET_KEY).decrypt(stored[len(PREFIX):].encode()).decode()
    except (InvalidToken, ValueError):
        log.error("a stored rig secret cannot be decrypted (was SECRET_KEY changed?): set it again in the admin")
        return ""


class EncryptedField(models.TextField):
    """Text stored encrypted; Python code sees the plain text. Not searchable, by design."""

    def __init__(self, *args, max_length=200, **kwargs):
        self.plain_max_length = max_length
        super().__init__(*args, **kwargs)
        self.validators.append(MaxLengthValidator(max_length))

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["max_length"] = self.plain_max_length
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        return decrypt(value)

    def get_prep_value(self, value):
        return encrypt(super().get_prep_value(value))
