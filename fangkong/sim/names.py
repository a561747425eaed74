"""Word lists and vectorised builders for the synthetic city's names, addresses and phone numbers."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "DISTRICTS", "SURNAMES", "SURNAME_WEIGHTS", "compound_names", "full_names", "jurisdiction_names", "join",
    "numbered", "phone_numbers", "place_names", "streets", "venue_names",
]

#: Taiyuan's urban districts: code, name, offset of the centre from the city centre in km (north, east),
#: share of the population
DISTRICTS = (
    ("140105", "小店区", -6.0, 3.0, 0.25),
    ("140106", "迎泽区", 0.0, 3.0, 0.17),
    ("140107", "杏花岭区", 4.0, 2.0, 0.17),
    ("140108", "尖草坪区", 10.0, 0.0, 0.13),
    ("140109", "万柏林区", 1.0, -5.0, 0.20),
    ("140110", "晋源区", -8.0, -6.0, 0.08),
)

SURNAMES = list(
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
    "余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚"
    "文牛温申霍樊靳"
)
# Shanxi leans on 王 李 张 郭 武 贾 郝: the first names of the list get the heaviest weights
_w = 1.0 / np.arange(1, len(SURNAMES) + 1) ** 0.9
for _c in "郭武贾郝牛温霍":
    _w[SURNAMES.index(_c)] *= 3.0
SURNAME_WEIGHTS = _w / _w.sum()

_MALE = list("伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林欣晨阳建国志文博天海峰亮")
_FEMALE = list("芳娜敏静丽艳娟霞秀玲桂英慧琳雪梅莉燕红晶婷颖倩瑶怡佳欣悦蕾薇洁琪璐萍")
_PLACE = list("龙城汾河晋阳并州锦绣长风和平富康阳光金桂翠苑滨河御景东湖南华学府迎泽柳巷府东新民双塔漪汾")
#: the place words' readings, for the English names of subdistricts and communities (汾河 → Fenhe)
_PINYIN = {"龙": "long", "城": "cheng", "汾": "fen", "河": "he", "晋": "jin", "阳": "yang", "并": "bing", "州": "zhou",
           "锦": "jin", "绣": "xiu", "长": "chang", "风": "feng", "和": "he", "平": "ping", "富": "fu", "康": "kang",
           "光": "guang", "金": "jin", "桂": "gui", "翠": "cui", "苑": "yuan", "滨": "bin", "御": "yu", "景": "jing",
           "东": "dong", "湖": "hu", "南": "nan", "华": "hua", "学": "xue", "府": "fu", "迎": "ying", "泽": "ze",
           "柳": "liu", "巷": "xiang", "新": "xin", "民": "min", "双": "shuang", "塔": "ta", "漪": "yi"}
_COMPOUND = ["花园", "小区", "家园", "苑", "新村", "公寓", "华府", "嘉园", "雅居", "名邸"]
_STREETS = [
    "长风街", "滨河东路", "府西街", "迎泽大街", "并州路", "建设路", "解放路", "五一路", "平阳路", "体育路",
    "学府街", "长治路", "漪汾街", "和平北路", "千峰南路", "晋祠路", "新晋祠路", "南内环街", "北大街",
    "胜利街", "坞城路", "许坦西街", "真武路", "龙城大街", "亲贤街", "康宁街", "双塔西街", "桥东街", "柳巷",
    "新建路",
]
_VENUE_WORDS = {
    "hotel": ["{p}大酒店", "{p}宾馆", "{p}快捷酒店"],
    "restaurant": ["{p}面馆", "{p}饭店", "{p}刀削面", "{p}火锅", "{p}食堂", "{p}饺子馆"],
    "shop": ["{p}超市", "{p}便利店", "{p}大药房", "{p}农贸市场", "{p}购物中心"],
    "office": ["{p}科技有限公司", "{p}商贸有限公司", "{p}建设集团", "{p}能源公司", "{p}银行支行"],
    "hospital": ["太原市第{n}人民医院", "{p}社区卫生服务中心", "{p}中医医院"],
    "transport": ["{s}公交站", "地铁2号线{s}站", "{s}出租车站"],
    "testing_site": ["{s}核酸采样点{n}号"],
    "other": ["{p}健身中心", "{p}网吧", "{p}KTV", "{p}培训学校", "{p}公园", "{p}洗浴中心"],
}


def join(*parts: pa.Array | str) -> pa.Array:
    """Concatenate string arrays and literals element-wise."""
    return pc.binary_join_element_wise(*parts, "")


def numbered(values: np.ndarray, width: int = 0) -> pa.Array:
    """Integers as strings, zero-padded to `width`."""
    text = pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())
    return pc.utf8_lpad(text, width, "0") if width else text


def full_names(rng: np.random.Generator, surname: np.ndarray, male: np.ndarray) -> pa.Array:
    """Surname + a one- or two-character given name drawn from the list for the person's sex."""
    n = len(surname)
    chars = [
        np.where(male, np.array(_MALE)[rng.integers(len(_MALE), size=n)],
                 np.array(_FEMALE)[rng.integers(len(_FEMALE), size=n)])
        for _ in range(2)
    ]
    second = np.where(rng.random(n) < 0.75, chars[1], "")
    return join(pa.array(np.array(SURNAMES)[surname]), pa.array(chars[0]), pa.array(second))


def phone_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` distinct 11-digit mainland mobile numbers as int64 (redraws until no two collide)."""
    prefixes = np.array([134, 135, 136, 137, 138, 139, 147, 150, 151, 152, 157, 158, 159, 178, 182, 183,
                         187, 188, 198, 130, 131, 132, 155, 156, 166, 175, 176, 185, 186, 133, 153, 173,
                         177, 180, 181, 189, 199], dtype=np.int64)
    numbers = prefixes[rng.integers(len(prefixes), size=n)] * 10**8 + rng.integers(10**8, size=n)
    while True:
        _, first = np.unique(numbers, return_index=True)
        dup = np.ones(n, bool)
        dup[first] = False
        if not dup.any():
            return numbers
        k = int(dup.sum())
        numbers[dup] = prefixes[rng.integers(len(prefixes), size=k)] * 10**8 + rng.integers(10**8, size=k)


def place_names(rng: np.random.Generator, n: int) -> list[str]:
    """Two-character place words such as 龙城 or 汾河, used in compound and venue names."""
    first = rng.integers(len(_PLACE), size=n)
    second = rng.integers(len(_PLACE), size=n)
    return [_PLACE[a] + _PLACE[b] for a, b in zip(first, second, strict=True)]


def compound_names(rng: np.random.Generator, n: int) -> list[str]:
    suffix = rng.integers(len(_COMPOUND), size=n)
    return [p + _COMPOUND[s] for p, s in zip(place_names(rng, n), suffix, strict=True)]


def streets(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.array(_STREETS)[rng.integers(len(_STREETS), size=n)]


def venue_names(rng: np.random.Generator, kinds: list[str], fixed: dict[int, str]) -> list[str]:
    """A plausible name per venue, unless `fixed` already names it (compounds, schools)."""
    places = place_names(rng, len(kinds))
    street = [s.removesuffix("街").removesuffix("路") for s in streets(rng, len(kinds))]
    pick = rng.integers(1 << 30, size=len(kinds))
    numbers = rng.integers(1, 60, size=len(kinds))
    names = []
    for i, kind in enumerate(kinds):
        if i in fixed:
            names.append(fixed[i])
            continue
        patterns = _VENUE_WORDS[kind]
        names.append(patterns[pick[i] % len(patterns)].format(p=places[i], s=street[i], n=numbers[i]))
    return names


def jurisdiction_names(rng: np.random.Generator, subdistricts: int, communities: int
                       ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(Chinese, English) names of the subdistricts (汾河街道, Fenhe Subdistrict) and communities (锦绣社区, Jinxiu
    Community), two place words each, no two alike in the city (a few with a number once the words run out)."""
    chars = sorted(set(_PLACE))
    words = [a + b for a in chars for b in chars if a != b]
    picked = [words[i] for i in rng.permutation(len(words))[: subdistricts + communities]]
    while len(picked) < subdistricts + communities:  # more than the words make: numbered
        picked.append(f"{words[len(picked) % len(words)]}{len(picked) // len(words) + 1}")

    def en(word: str) -> str:
        return "".join(_PINYIN.get(c, c) for c in word).capitalize()

    subs = [(w + "街道", f"{en(w)} Subdistrict") for w in picked[:subdistricts]]
    comms = [(w + "社区", f"{en(w)} Community") for w in picked[subdistricts:]]
    return subs, comms
