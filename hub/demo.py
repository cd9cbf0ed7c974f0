"""`mzhub demo`: a working hub on an SQLite file in one command, for a first look."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from rich.console import Console
from rich.panel import Panel

console = Console()

EXAMPLE_QUERY = """{
  me { subject department divisionCode roles }
  residents(first: 5) {
    totalCount
    edges { node { id name idNumber phone household { size } cases { caseNumber status } } }
  }
}"""


def run_demo(*, residents: int, database: Path, host: str, port: int) -> None:
    os.environ["HUB_DATABASE_URL"] = f"sqlite+aiosqlite:///{database.resolve()}"
    os.environ.setdefault("HUB_KEYS_DIR", str(Path(".keys").resolve()))
    os.environ.setdefault("HUB_ISSUER", f"http://{host}:{port}")
    os.environ.setdefault("HUB_PUBLIC_NOTICE_DAYS", "0")

    from hub.auth.cli import make_dev_token
    from hub.config import Settings
    from hub.db.migrate import upgrade
    from hub.seed.runner import database_is_seeded

    settings = Settings.from_env()
    console.print(f"[bold]mzhub demo[/bold]: database {database}")
    upgrade(settings.database_url)
    if asyncio.run(database_is_seeded(settings.database_url)):
        console.print("already seeded; reusing it (delete the file to start over)")
    else:
        from hub.seed.cli import seed_with_progress

        seed_with_progress(settings.database_url, residents=residents, seed=1)
    county_token = make_dev_token(
        settings,
        department="civil_affairs",
        division="640104000000",
        roles=["clerk", "reviewer", "approver"],
        scopes=["cases:write", "approvals:decide", "cases:certify"],
        ttl=8 * 3600,
        subject="demo-county-officer",
    )
    supervisor_token = make_dev_token(
        settings,
        department="civil_affairs",
        division="640000000000",
        roles=["supervisor"],
        scopes=["supervision:read"],
        ttl=8 * 3600,
        subject="demo-region-supervisor",
    )
    console.print(
        Panel.fit(
            f"GraphiQL: http://{host}:{port}/graphql\n\n"
            "Development token (兴庆区 civil affairs, county level, 8 hours):\n"
            f"{county_token}\n\n"
            "Supervision dashboard (region supervisor):\n"
            f"http://{host}:{port}/dashboard#token={supervisor_token}\n\n"
            "In GraphiQL, open Headers and paste:\n"
            '{"Authorization": "Bearer <token above>"}\n\n'
            f"Example query:\n{EXAMPLE_QUERY}\n\n"
            "curl:\n"
            f"curl -s http://{host}:{port}/graphql -H 'Content-Type: application/json' "
            '-H "Authorization: Bearer $TOKEN" -d \'{"query":"{ me { subject } }"}\'',
            title="ready",
        )
    )
    import uvicorn

    uvicorn.run("hub.app:create_app", factory=True, host=host, port=port, log_level="info")
