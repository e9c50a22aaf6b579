"""Who may act on the automation pages: sys users, by POST, every refusal audited (farm/access.py)."""

from farm.access import sys_post as sys_post_only

sys_post = sys_post_only("only sys users may do this", "Only sys users may curtail, resume or set pools.")
