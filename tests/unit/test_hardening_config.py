"""HUB_* hardening settings: defaults as the issue gives them, validation with one clear line."""

from __future__ import annotations

import pytest

from hub.config import ClientLimits, Hardening, Settings
from hub.errors import ConfigError


def test_defaults() -> None:
    h = Settings.from_env({}).hardening
    assert (h.max_depth, h.max_aliases, h.max_tokens, h.max_directives) == (10, 15, 2000, 50)
    assert (h.max_body_bytes, h.max_operations, h.cost_budget) == (1_048_576, 1, 5000)
    assert h.trusted_documents == "off" and h.introspection_cost_budget is None
    assert h.cost_per_minute == 60_000 and h.clients == {}


def test_values_and_per_client_overrides() -> None:
    h = Settings.from_env({
        "HUB_MAX_DEPTH": "12", "HUB_COST_BUDGET": "8000", "HUB_MAX_OPERATIONS": "5",
        "HUB_RATE_LIMIT_COST_PER_MINUTE": "0", "HUB_TRUSTED_DOCUMENTS": "enforce",
        "HUB_CLIENT_LIMITS": '{"batch": {"costBudget": 20000, "costPerMinute": 900000},'
                             ' "portal": {"costPerMinute": 0}}',
    }).hardening
    assert (h.max_depth, h.cost_budget, h.max_operations, h.cost_per_minute) == (12, 8000, 5, 0)
    assert h.trusted_documents == "enforce"
    assert h.clients["batch"] == ClientLimits(cost_budget=20000, cost_per_minute=900000)
    assert h.budget_for("batch") == 20000 and h.budget_for("portal") == 8000
    assert h.budget_for(None) == 8000
    assert h.rate_for("portal") == 0 and h.rate_for("batch") == 900000 and h.rate_for("x") == 0


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"HUB_MAX_DEPTH": "0"}, "HUB_MAX_DEPTH"),
        ({"HUB_MAX_TOKENS": "lots"}, "HUB_MAX_TOKENS"),
        ({"HUB_COST_BUDGET": "-5"}, "HUB_COST_BUDGET"),
        ({"HUB_TRUSTED_DOCUMENTS": "on"}, "HUB_TRUSTED_DOCUMENTS"),
        ({"HUB_CLIENT_LIMITS": "[1]"}, "HUB_CLIENT_LIMITS"),
        ({"HUB_CLIENT_LIMITS": "{nope"}, "HUB_CLIENT_LIMITS"),
        ({"HUB_CLIENT_LIMITS": '{"a": {"costBudget": 0}}'}, "costBudget"),
        ({"HUB_CLIENT_LIMITS": '{"a": {"budget": 5}}'}, "costBudget and costPerMinute"),
        ({"HUB_RATE_LIMIT_COST_PER_MINUTE": "-1"}, "HUB_RATE_LIMIT_COST_PER_MINUTE"),
    ],
)
def test_bad_values_stop_start_up_with_a_clear_message(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        Settings.from_env(env)


def test_hardening_is_hashable_with_the_settings() -> None:
    assert hash(Settings(hardening=Hardening(clients={"a": ClientLimits(1, 2)})))
