"""SDL export: the portals' contract (`schema.graphql`) and the federation subgraph SDL.

The portal SDL leaves out federation's additions (`@key`, `_entities`, `_service`, `_Any`), so
codegen and schema-diff tools read it without federation's directive definitions.
"""

from __future__ import annotations

import re
from pathlib import Path

from hub.policy.evaluator import PolicyEvaluator
from hub.policy.loader import load_policy

_KEY = re.compile(r' @key\(fields: "[^"]*"\)')


def export_sdl(policy_file: Path | None = None, federation: bool = False) -> str:
    from hub.schema.build import build_portal_schema, build_schema

    policy = PolicyEvaluator(load_policy(policy_file))
    if federation:
        text = build_schema(policy).as_str()
    else:
        text = _KEY.sub("", build_portal_schema(policy).as_str())
    return text.rstrip() + "\n"
