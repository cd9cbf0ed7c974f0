"""Supervision (督导) types and `Query.supervision`: the plan's indicators per division, with the
same for each child division so a supervisor can drill down region → city → county → township."""

from __future__ import annotations

import enum
from decimal import Decimal

import strawberry
from strawberry.types import Info

from hub.domain.catalogue import load_catalogue
from hub.schema.divisions import Division
from hub.supervision import report as rp
from hub.supervision.service import children_of, read_report
from hub.supervision.targets import LABELS, IndicatorName, Ratio


@strawberry.enum(description="The plan's supervision indicators.")
class SupervisionIndicator(enum.Enum):
    NO_VISIT_RATE = IndicatorName.NO_VISIT_RATE.value
    PROXY_POINT_COVERAGE = IndicatorName.PROXY_POINT_COVERAGE.value
    ASSISTANT_COVERAGE = IndicatorName.ASSISTANT_COVERAGE.value
    POST_COVERAGE = IndicatorName.POST_COVERAGE.value
    TRAINING_COMPLIANCE = IndicatorName.TRAINING_COMPLIANCE.value
    TRAINING_COMPLIANCE_STAFF = IndicatorName.TRAINING_COMPLIANCE_STAFF.value
    TRAINING_COMPLIANCE_ASSISTANTS = IndicatorName.TRAINING_COMPLIANCE_ASSISTANTS.value
    FUNDING_COMPLIANCE = IndicatorName.FUNDING_COMPLIANCE.value


@strawberry.type(description="A rate against the plan's target: met = value >= target.")
class Indicator:
    value: float = strawberry.field(description="numerator / denominator, 0..1 (0 when 0 of 0).")
    target: float
    met: bool
    numerator: int
    denominator: int

    @classmethod
    def of(cls, figure: Ratio) -> Indicator:
        return cls(
            value=figure.value,
            target=float(figure.target),
            met=figure.met,
            numerator=figure.numerator,
            denominator=figure.denominator,
        )


@strawberry.type(description="A township's working funds for the year against its floor.")
class TownshipFunding:
    division: Division
    population: int = strawberry.field(description="As recorded with the allocation.")
    floor: Decimal = strawberry.field(description="The plan's yearly minimum for the population.")
    amount: Decimal = strawberry.field(description="All of the year's allocations added up.")
    shortfall: Decimal = strawberry.field(description="floor - amount, at least 0.")
    met: bool


@strawberry.type(description="Average calendar days from submission to decision, per item.")
class ItemHandlingTime:
    item_code: str
    item_name: str
    decided_cases: int
    average_days: float = strawberry.field(description="Calendar days, one decimal.")
    time_limit_working_days: int = strawberry.field(description="The item's legal time limit.")


@strawberry.type(description="A division that misses one of the plan's targets.")
class SupervisionMiss:
    division: Division
    indicator: SupervisionIndicator
    label: str = strawberry.field(description="The indicator's Chinese name.")
    value: float
    target: float


def _figure(name: IndicatorName, description: str) -> Indicator:
    def resolve(root: strawberry.Parent[SupervisionReport]) -> Indicator:
        return Indicator.of(root.data.indicator(name))

    return strawberry.field(resolver=resolve, description=description)  # type: ignore[no-any-return]


def _division(info_: object) -> Division:
    return Division(info_=info_)  # type: ignore[arg-type]


@strawberry.type(description="The plan's indicators for one division and year (督导).")
class SupervisionReport:
    data: strawberry.Private[rp.ReportData]

    @strawberry.field
    def division(self) -> Division:
        return _division(self.data.division)

    @strawberry.field
    def year(self) -> int:
        return self.data.year

    @strawberry.field(description="False when the year has no cases, trainings or funding.")
    def has_data(self) -> bool:
        return self.data.has_data

    no_visit_rate: Indicator = _figure(
        IndicatorName.NO_VISIT_RATE, "不见面办理率: cases handled without an in-person visit."
    )
    proxy_point_coverage: Indicator = _figure(
        IndicatorName.PROXY_POINT_COVERAGE, "代办点覆盖率: villages with an open proxy point."
    )
    assistant_coverage: Indicator = _figure(
        IndicatorName.ASSISTANT_COVERAGE, "协理员配备率: villages with an assistant in office."
    )
    post_coverage: Indicator = _figure(
        IndicatorName.POST_COVERAGE, "民政岗位配备率: townships with a filled post."
    )
    training_compliance: Indicator = _figure(
        IndicatorName.TRAINING_COMPLIANCE, "培训达标率: townships and villages together."
    )
    training_compliance_staff: Indicator = _figure(
        IndicatorName.TRAINING_COMPLIANCE_STAFF, "Townships whose staff had >= 3 trainings."
    )
    training_compliance_assistants: Indicator = _figure(
        IndicatorName.TRAINING_COMPLIANCE_ASSISTANTS, "Villages whose assistant had >= 2."
    )
    funding_compliance: Indicator = _figure(
        IndicatorName.FUNDING_COMPLIANCE, "经费保障达标率: townships funded to their floor."
    )

    @strawberry.field(description="逾期件数: open cases of the year past their due date today.")
    def overdue_cases(self) -> int:
        return self.data.overdue_cases

    @strawberry.field(description="Cases submitted in the year.")
    def cases_submitted(self) -> int:
        return self.data.counts.cases if self.data.has_data else 0

    @strawberry.field(description="Every township's floor, funds and shortfall.")
    def township_funding(self) -> list[TownshipFunding]:
        return [_funding(f) for f in self.data.funding]

    @strawberry.field(description="Townships funded below their floor, largest shortfall first.")
    def funding_shortfalls(self) -> list[TownshipFunding]:
        short = sorted((f for f in self.data.funding if not f.met), key=lambda f: -f.shortfall)
        return [_funding(f) for f in short]

    @strawberry.field(description="Average handling days per item, in catalogue order.")
    def average_handling_days(self) -> list[ItemHandlingTime]:
        catalogue = load_catalogue()
        times = {h.item_code: h for h in self.data.handling}
        return [
            ItemHandlingTime(
                item_code=item.code,
                item_name=item.name,
                decided_cases=times[item.code].decided_cases,
                average_days=round(times[item.code].average_days, 1),
                time_limit_working_days=item.time_limit_working_days,
            )
            for item in catalogue
            if item.code in times
        ]

    @strawberry.field(description="Children (or, for a township, itself) missing a target.")
    def misses(self) -> list[SupervisionMiss]:
        return [
            SupervisionMiss(
                division=_division(unit.division),
                indicator=SupervisionIndicator(name.value),
                label=LABELS[name],
                value=figure.value,
                target=float(figure.target),
            )
            for unit, name, figure in rp.misses(self.data)
        ]

    @strawberry.field(description="The same report for each child division (none below towns).")
    async def children(self, info: Info) -> list[SupervisionReport]:
        return [SupervisionReport(data=c) for c in await children_of(info.context, self.data)]


def _funding(f: rp.TownshipFunding) -> TownshipFunding:
    return TownshipFunding(
        division=_division(f.division),
        population=f.population,
        floor=Decimal(f.floor).quantize(Decimal("0.01")),
        amount=f.amount,
        shortfall=f.shortfall,
        met=f.met,
    )


@strawberry.type
class SupervisionQuery:
    @strawberry.field(
        description="The plan's indicators for a division and year (default: this year). Needs "
        "scope supervision:read and role supervisor, or civil affairs at county level or above; "
        "a division outside the caller's jurisdiction is NOT_FOUND."
    )
    async def supervision(
        self, info: Info, division_code: str, year: int | None = None
    ) -> SupervisionReport | None:
        return SupervisionReport(data=await read_report(info.context, division_code, year))
