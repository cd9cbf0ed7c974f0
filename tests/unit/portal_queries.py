"""Five realistic portal queries, scored in docs/security.md (kept equal by a test)."""

from __future__ import annotations

TOWNSHIP_QUEUE = """
query TownshipQueue($status: CaseStatus) {
  cases(first: 20, filter: {status: $status, overdue: false}) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id caseNumber status dueDate channel
      item { code name timeLimitWorkingDays }
      applicant { id name idNumber }
      approvalTasks { department kind status dueDate }
    } }
  }
}"""

RESIDENT_FILE = """
query ResidentFile($id: ID!) {
  resident(id: $id) {
    id name idNumber gender birthDate phone address disabilityLevel
    flags { specialHardship keySpecialCare leftBehindChild leftBehindWoman leftBehindElder }
    household { id registrationType declaredMonthlyIncome size
      members { relation resident { id name idNumber } } }
    cases { id caseNumber status item { code name } events { at kind fromStatus toStatus } }
    entitlements { monthlyAmount status startPeriod payments(last: 12) { period amount status } }
  }
}"""

PARTNER_INBOX = """
query VerificationInbox {
  approvalTasks(first: 50, filter: {status: PENDING, department: HUMAN_RESOURCES}) {
    totalCount
    edges { node {
      id kind dueDate version
      case { id caseNumber item { code name }
        applicant { name idNumber monthlyIncome }
        household { declaredMonthlyIncome
          members { relation resident { name idNumber monthlyIncome } } } }
    } }
  }
}"""

FINANCE_REVIEW = """
query PaymentRun($period: String!) {
  payments(first: 100, filter: {period: $period, status: SCHEDULED}) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id period amount status bankAccount attempt
      division { code name }
      entitlement { id item { code } resident { name idNumber } }
    } }
  }
}"""

SUPERVISION_DASHBOARD = """
fragment Figures on SupervisionReport {
  division { code name level }
  hasData overdueCases
  noVisitRate { value target met }
  proxyPointCoverage { value target met }
  assistantCoverage { value target met }
  postCoverage { value target met }
  trainingCompliance { value target met }
  fundingCompliance { value target met }
}
query Dashboard($code: String!, $year: Int) {
  supervision(divisionCode: $code, year: $year) { ...Figures children { ...Figures } }
}"""

PORTAL_QUERIES = {
    "TownshipQueue": (TOWNSHIP_QUEUE, {}),
    "ResidentFile": (RESIDENT_FILE, {"id": "UmVzaWRlbnQ6MQ"}),
    "VerificationInbox": (PARTNER_INBOX, {}),
    "PaymentRun": (FINANCE_REVIEW, {"period": "2026-10"}),
    "Dashboard": (SUPERVISION_DASHBOARD, {"code": "640104000000", "year": 2026}),
}
