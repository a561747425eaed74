"""Settings from the environment (FANGKONG_*), typed, read once per process."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FANGKONG_", extra="ignore")

    database_url: str = "sqlite:///./data/fangkong.db"
    lake: Path = Path("./data/lake")
    engine: str = Field("duckdb", pattern="^(duckdb|pyspark)$")
    edition: str = "9"
    tz: str = "Asia/Shanghai"
    #: Spark master for FANGKONG_ENGINE=pyspark: local[N] here, spark://host:7077 on a cluster
    spark_master: str = "local[2]"
    lang: str = Field("zh", pattern="^(zh|en)$")
    #: optional companion noise filter: either phone ≥ N hours in the cell over 14 days (0 = off)
    companion_min_cell_hours: float = 0.0

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)


@lru_cache
def get_settings() -> Settings:
    return Settings()
