"""Per-person facts drawn at plausible rates: disability, health, self-care, income, phone and
bank card numbers. Pure functions of a `random.Random`.
"""

from __future__ import annotations

import math
import random
from decimal import Decimal

_PHONE_PREFIXES = (
    "130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 "
    "166 173 177 180 181 182 183 185 186 187 188 189 191 199"
).split()
# Issuer prefixes of cards common in Ningxia (农行 6228, 建行 6217, 工行 6222, 黄河农商 6230...).
_CARD_BINS = ("622848", "621700", "622202", "623052", "621226", "622908", "621799", "623095")
_LEVEL_CUM = (15, 35, 65, 100)  # disability levels 1..4: 15%, 20%, 30%, 35%
_ELDER_CONDITIONS = (
    "高血压",
    "糖尿病",
    "冠心病",
    "慢性阻塞性肺病",
    "脑梗死后遗症",
    "慢性肾病",
    "类风湿关节炎",
    "阿尔茨海默病",
)
_ADULT_CONDITIONS = ("高血压", "糖尿病", "慢性肾病", "乙型肝炎", "抑郁症", "腰椎间盘突出")
_CHILD_CONDITIONS = ("先天性心脏病", "哮喘", "癫痫")
_SELF_CARE = ("FULL", "PARTIAL", "NONE")
_CARE_BY_GROUP = {
    "oldest": (60, 88, 100),  # cumulative weights of FULL, PARTIAL, NONE
    "elder": (88, 97, 100),
    "severe": (20, 60, 100),
    "moderate": (50, 85, 100),
    "mild": (90, 99, 100),
}
_URBAN_INCOME = math.log(4200)
_RURAL_INCOME = math.log(2200)
ZERO = Decimal(0)


def phone(rng: random.Random) -> str:
    """An 11-digit mobile number (1[3-9]x ...)."""
    return rng.choice(_PHONE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"


_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def luhn_digit(body: str) -> str:
    """The Luhn (mod 10) check digit bank cards end with."""
    digits = [ord(c) - 48 for c in reversed(body)]
    total = sum(_DOUBLED[d] for d in digits[::2]) + sum(digits[1::2])
    return str(-total % 10)


def bank_account(rng: random.Random) -> str:
    """A 16- or 19-digit debit card number with a valid Luhn check digit."""
    length = 19 if rng.random() < 0.85 else 16
    body = rng.choice(_CARD_BINS) + f"{rng.randrange(10 ** (length - 7)):0{length - 7}d}"
    return body + luhn_digit(body)


def disability_level(rng: random.Random, age: int) -> int | None:
    """Level 1 (most severe) to 4 for about 6% of people, most of them old."""
    rate = 0.2 if age >= 60 else 0.045 if age >= 16 else 0.015
    if rng.random() >= rate:
        return None
    roll = rng.randrange(100)
    return 1 + sum(1 for bound in _LEVEL_CUM[:-1] if roll >= bound)


def health_condition(rng: random.Random, age: int) -> str | None:
    if age >= 60:
        return rng.choice(_ELDER_CONDITIONS) if rng.random() < 0.45 else None
    if age >= 18:
        return rng.choice(_ADULT_CONDITIONS) if rng.random() < 0.07 else None
    return rng.choice(_CHILD_CONDITIONS) if rng.random() < 0.01 else None


def self_care_level(rng: random.Random, age: int, disability: int | None) -> str | None:
    """生活自理能力, recorded for the elderly and the disabled only."""
    if disability is not None and disability <= 2:
        group = "severe" if disability == 1 else "moderate"
    elif age >= 80:
        group = "oldest"
    elif age >= 60:
        group = "elder"
    elif disability is not None:
        group = "mild"
    else:
        return None
    return rng.choices(_SELF_CARE, cum_weights=_CARE_BY_GROUP[group])[0]


def monthly_income(
    rng: random.Random, age: int, urban: bool, disability: int | None, student: bool
) -> Decimal | None:
    """Earnings of working-age adults (0 when without work); None for children and the old."""
    if not 18 <= age <= 59:
        return None
    employed = 0.2 if disability is not None and disability <= 2 else 0.82 if urban else 0.76
    if student or rng.random() >= employed:
        return ZERO
    mu = _URBAN_INCOME if urban else _RURAL_INCOME
    return Decimal(int(rng.lognormvariate(mu, 0.45)) // 10 * 10)


def pension(rng: random.Random, age: int, urban: bool) -> int:
    """A monthly pension (basic rural pension or urban retirement pay) for people 60 and over."""
    if age < 60:
        return 0
    if urban and rng.random() < 0.55:
        return rng.randint(2500, 4800)
    return rng.randint(180, 320)
