"""Which city a carrier cell lies in, for the travel card (行程卡): nearest listed city centre within reach.

Deliberately simple (docs/zones.md, "Travel card"): the carriers' card named prefecture-level cities;
fangkong keeps a short table of city centres (GB/T 2260 codes) and gives a point to the nearest centre
within `REACH_KM`; a point near none is "elsewhere" at its rounded position. A deployment adds its
region's cities to `CITIES`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fangkong.protocol.grid import DEG_LAT

__all__ = ["CITIES", "REACH_KM", "City", "cell_centre", "city_of"]

REACH_KM = 60.0


@dataclass(frozen=True)
class City:
    code: str
    name: str
    lat: float
    lon: float


CITIES: tuple[City, ...] = tuple(City(*row) for row in (
    ("110100", "北京市", 39.904, 116.407), ("120100", "天津市", 39.085, 117.201),
    ("310100", "上海市", 31.230, 121.474), ("500100", "重庆市", 29.563, 106.551),
    ("130100", "石家庄市", 38.042, 114.515), ("140100", "太原市", 37.870, 112.549),
    ("140200", "大同市", 40.077, 113.300), ("140300", "阳泉市", 37.857, 113.581),
    ("140400", "长治市", 36.195, 113.117), ("140500", "晋城市", 35.491, 112.852),
    ("140600", "朔州市", 39.332, 112.433), ("140700", "晋中市", 37.687, 112.753),
    ("140800", "运城市", 35.026, 111.007), ("140900", "忻州市", 38.416, 112.734),
    ("141000", "临汾市", 36.088, 111.519), ("141100", "吕梁市", 37.519, 111.144),
    ("150100", "呼和浩特市", 40.842, 111.749), ("210100", "沈阳市", 41.806, 123.432),
    ("220100", "长春市", 43.817, 125.324), ("230100", "哈尔滨市", 45.803, 126.535),
    ("320100", "南京市", 32.060, 118.797), ("330100", "杭州市", 30.274, 120.155),
    ("340100", "合肥市", 31.821, 117.227), ("350100", "福州市", 26.074, 119.296),
    ("360100", "南昌市", 28.682, 115.858), ("370100", "济南市", 36.651, 117.120),
    ("410100", "郑州市", 34.746, 113.625), ("420100", "武汉市", 30.593, 114.305),
    ("430100", "长沙市", 28.228, 112.939), ("440100", "广州市", 23.129, 113.264),
    ("440300", "深圳市", 22.543, 114.058), ("450100", "南宁市", 22.817, 108.366),
    ("460100", "海口市", 20.044, 110.199), ("510100", "成都市", 30.573, 104.066),
    ("520100", "贵阳市", 26.647, 106.630), ("530100", "昆明市", 24.880, 102.833),
    ("540100", "拉萨市", 29.652, 91.172), ("610100", "西安市", 34.342, 108.940),
    ("620100", "兰州市", 36.061, 103.834), ("630100", "西宁市", 36.617, 101.778),
    ("640100", "银川市", 38.487, 106.231), ("650100", "乌鲁木齐市", 43.826, 87.617),
))


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dy = (lat2 - lat1) * 111.32
    dx = (lon2 - lon1) * 111.32 * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, dy)


def city_of(lat: float, lon: float) -> City:
    """The listed city nearest to the point within REACH_KM, or an "elsewhere" city at the rounded point."""
    best = min(CITIES, key=lambda c: _km(lat, lon, c.lat, c.lon))
    if _km(lat, lon, best.lat, best.lon) <= REACH_KM:
        return best
    return City(code="", name=f"其他地区 ({lat:.1f}, {lon:.1f})", lat=round(lat, 1), lon=round(lon, 1))


def cell_centre(grid: str) -> tuple[float, float]:
    """Centre (lat, lon) of a grid cell "row:col" (the inverse of protocol.grid.grid_id)."""
    row, col = (int(x) for x in grid.split(":"))
    lat = (row + 0.5) * DEG_LAT
    return lat, (col + 0.5) * DEG_LAT / math.cos(math.radians(lat))
