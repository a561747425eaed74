"""The defaults of the settings a light command reads without pydantic-settings (issue 27: `fangkong codes show`
reads the environment directly, fangkong.codes.plain); fangkong.settings.Settings takes them from here."""

from __future__ import annotations

__all__ = ["DATABASE_URL", "EDITION", "TZ"]

DATABASE_URL = "sqlite:///./data/fangkong.db"
EDITION = "9"
TZ = "Asia/Shanghai"
