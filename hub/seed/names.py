"""Name pools for synthetic people and places: surnames (Han and Hui), given names by era and
gender, village (村) and community (社区) names. Pure data and tiny pickers, no I/O.
"""

from __future__ import annotations

import random
from itertools import accumulate

# Surname weights roughly follow national frequency; 马 leads among Hui surnames in Ningxia.
HAN_SURNAMES = (
    "王 30|张 28|李 28|刘 22|陈 14|杨 12|赵 10|黄 6|周 6|吴 6|徐 5|孙 6|胡 5|朱 5|高 6|郭 6|何 4|"
    "罗 3|梁 3|宋 4|郑 3|谢 3|韩 4|唐 3|冯 3|于 3|董 4|曹 4|袁 3|邓 2|许 3|沈 2|彭 2|吕 3|苏 3|"
    "蒋 2|蔡 2|贾 4|丁 3|魏 4|薛 3|叶 2|闫 4|杜 3|田 4|任 3|姜 2|范 3|方 2|石 3|姚 2|孟 3|"
    "白 4|崔 2|康 2|毛 2|秦 2|史 3|侯 3|邵 2|武 3|乔 2|贺 3|常 3|牛 3|雷 2|景 2|俞 1|纪 1"
)
HUI_SURNAMES = (
    "马 60|杨 14|李 10|丁 8|海 6|田 6|王 6|张 5|金 4|哈 3|纳 4|苏 4|白 4|沙 3|冶 3|穆 3|锁 2|"
    "虎 3|拜 2|妥 2|撒 2|洪 2|黑 2|者 1|敏 3|余 2|何 2|韩 3|蒙 1|铁 1"
)

_GIVEN = {
    # (gender, era): characters and two-character names typical of the birth cohort.
    ("MALE", 0): "建国 建军 国庆 志刚 永福 德明 振华 学文 有才 长生 福贵 树林 玉山 占海 "
    "文德 万福 守成 金宝 保国 生财 成 海 祥 明 福 林 山 忠",
    ("FEMALE", 0): "秀英 桂兰 玉兰 秀兰 凤英 桂英 淑珍 兰英 玉珍 秀珍 凤兰 金花 春梅 "
    "翠花 素梅 梅 兰 英 芳 珍 花",
    ("MALE", 1): "伟 强 磊 军 勇 涛 斌 杰 鹏 刚 辉 平 海涛 建华 晓东 志强 小军 卫东 "
    "学军 文华 国华 宏伟 永刚 少华 亮 俊 斌斌 新民",
    ("FEMALE", 1): "丽 静 燕 娟 艳 霞 敏 玲 红 琴 丽娟 晓燕 红霞 海燕 艳红 小红 "
    "春燕 丽萍 雪梅 晓红 慧 萍 芳芳 丽丽",
    ("MALE", 2): "浩 宇 轩 博 涛 鑫 帅 阳 子豪 浩然 宇轩 一鸣 子轩 俊杰 思远 家豪 "
    "梓豪 天宇 明轩 雨泽 皓轩 嘉懿 子墨 沐阳 宇航 晨",
    ("FEMALE", 2): "欣 悦 婷 雪 佳 琪 怡 萱 梓涵 欣怡 思涵 雨涵 佳怡 子涵 可馨 诗涵 "
    "一诺 梦瑶 语嫣 紫萱 雨桐 若曦 佳琪 心怡 瑶",
}

_VILLAGE_WORDS = (
    "红星 新华 团结 胜利 光明 永丰 和平 联合 新民 东风 红旗 前进 新庄 金星 富民 兴隆 "
    "双河 太平 新建 建设 友爱 幸福 永安 惠民 红光 新丰 立新 五星 先锋 丰收 东方 民主 "
    "富强 通桥 清水 河东 河西 红崖 园艺 新桥 金沙 长湖 沙坡 黄河 贺兰 兴泾 平原 燕子"
)
_VILLAGE_PLACES = "湾 庄 堡 塬 沟 渠 滩 台 寨 营 湖 梁 套 井 岔"
_DIRECTIONS = "东 西 南 北 上 下 中 前 后"
_COMMUNITY_WORDS = (
    "新华 丽景 康乐 文化 民乐 福宁 阳光 锦绣 金凤 银湖 长城 朝阳 和顺 宁安 西园 东园 "
    "丽水 景湖 美利 滨河 湖畔 春晖 正丰 馨园 塞上 紫园 宝湖 光华 银佐 兴庆 怀远 "
    "同心 开元 利民 胜利 永康 富康 安居 和谐 新月 文苑 北塔 南薰 西塔 鼓楼 清和 "
    "凤凰 玉皇 海宝 金波 银河 星光 绿洲 上海 北京 解放 建发 民生 祥和 学院 荣华"
)


def _weighted(spec: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    pairs = [item.split() for item in spec.split("|")]
    names = tuple(pair[0] for pair in pairs)
    cumulative = tuple(accumulate(int(pair[1]) for pair in pairs))
    return names, cumulative


HAN = _weighted(HAN_SURNAMES)
HUI = _weighted(HUI_SURNAMES)
GIVEN = {key: tuple(value.split()) for key, value in _GIVEN.items()}


def pick_surname(rng: random.Random, hui: bool) -> str:
    names, cumulative = HUI if hui else HAN
    return rng.choices(names, cum_weights=cumulative)[0]


def given_name(rng: random.Random, gender: str, birth_year: int) -> str:
    era = 0 if birth_year < 1965 else 1 if birth_year < 1995 else 2
    return rng.choice(GIVEN[(gender, era)])


def person_name(rng: random.Random, hui: bool, gender: str, birth_year: int) -> str:
    """A full name (surname + given name); for staff and agents outside a household."""
    return pick_surname(rng, hui) + given_name(rng, gender, birth_year)


def place_names(rng: random.Random, count: int, community: bool) -> list[str]:
    """`count` distinct names for the villages or communities of one township."""
    words = _COMMUNITY_WORDS.split() if community else _VILLAGE_WORDS.split()
    suffix = "社区" if community else "村"
    chosen: list[str] = []
    seen: set[str] = set()
    while len(chosen) < count:
        roll = rng.random()
        if community or roll < 0.45:
            stem = rng.choice(words)
        elif roll < 0.8:
            stem = (
                pick_surname(rng, rng.random() < 0.5) + "家" + rng.choice(_VILLAGE_PLACES.split())
            )
        else:
            stem = rng.choice(_DIRECTIONS.split()) + rng.choice(_VILLAGE_PLACES.split())
        name = stem + suffix
        if name not in seen:
            seen.add(name)
            chosen.append(name)
    return chosen
