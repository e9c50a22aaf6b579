"""Issue 23: the key rig secrets are encrypted with may live away from var/ (and the database):
SECRET_KEY in the environment, or the file SECRET_KEY_FILE names; var/secret_key stays the default."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from minerpanel import encryption
from minerpanel import settings as panel_settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def var(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("SECRET_KEY_FILE", raising=False)
    monkeypatch.setattr(panel_settings, "VAR_DIR", tmp_path / "var")
    return tmp_path / "var"


def test_the_default_is_generated_once_into_var_private(var):
    key = panel_settings.local_secret_key()
    assert (var / "secret_key").read_text() == key and len(key) > 50
    assert stat.S_IMODE((var / "secret_key").stat().st_mode) == 0o600
    assert panel_settings.local_secret_key() == key


def test_a_key_file_elsewhere_is_read_and_var_holds_no_key(var, tmp_path, monkeypatch):
    keyfile = tmp_path / "etc" / "minerpanel-key"
    keyfile.parent.mkdir()
    keyfile.write_text("key-from-the-file\n")
    monkeypatch.setenv("SECRET_KEY_FILE", str(keyfile))
    assert panel_settings.local_secret_key() == "key-from-the-file"
    assert not (var / "secret_key").exists()
    monkeypatch.setenv("SECRET_KEY", "key-from-the-environment")  # the environment's own wins
    assert panel_settings.local_secret_key() == "key-from-the-environment"


def test_a_missing_or_empty_key_file_is_a_clear_error_never_a_new_key(var, tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY_FILE", str(tmp_path / "nowhere"))
    with pytest.raises(ImproperlyConfigured, match="No such file.*move var/secret_key there"):
        panel_settings.local_secret_key()
    assert not (tmp_path / "nowhere").exists()
    (tmp_path / "empty").write_text("\n")
    monkeypatch.setenv("SECRET_KEY_FILE", str(tmp_path / "empty"))
    with pytest.raises(ImproperlyConfigured, match="is empty"):
        panel_settings.local_secret_key()


def test_the_panel_encrypts_rig_secrets_with_the_key_in_that_file(tmp_path):
    keyfile = tmp_path / "key"
    keyfile.write_text("a-key-kept-elsewhere")
    env = dict(os.environ, SECRET_KEY_FILE=str(keyfile), MINERPANEL_VAR=str(tmp_path / "var"))
    env.pop("SECRET_KEY", None)
    out = subprocess.run([sys.executable, str(ROOT / "manage.py"), "shell", "-c",
                          "from minerpanel.encryption import encrypt; print(encrypt('rig-token'))"],
                         env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=True).stdout.split()[-1]
    assert encryption.fernet("a-key-kept-elsewhere").decrypt(out[len(encryption.PREFIX):].encode()) == b"rig-token"
    assert not (tmp_path / "var" / "secret_key").exists()
