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
    tokens_file = Path(".demo-tokens").resolve()
    tokens_file.write_text(
        f"export TOKEN={county_token}\nexport SUPERVISOR_TOKEN={supervisor_token}\n",
        encoding="utf-8",
    )
    console.print(
        Panel.fit(
            f"GraphiQL:  http://{host}:{port}/graphql\n"
            f"Dashboard: http://{host}:{port}/dashboard (sign in with SUPERVISOR_TOKEN)\n\n"
            "Two development tokens (8 hours) are printed below and saved in\n"
            f"{tokens_file} (`source .demo-tokens` in a shell):\n"
            "  TOKEN             兴庆区 civil affairs, county level (clerk, reviewer, approver)\n"
            "  SUPERVISOR_TOKEN  region supervisor (supervision:read)\n\n"
            'In GraphiQL, open Headers and paste {"Authorization": "Bearer <TOKEN>"}, then run:\n'
            f"{EXAMPLE_QUERY}\n\n"
            "or with curl:\n"
            f"curl -s http://{host}:{port}/graphql -H 'Content-Type: application/json' "
            '-H "Authorization: Bearer $TOKEN" -d \'{"query":"{ me { subject } }"}\'',
            title="mzhub is ready",
        )
    )
    # Plain lines, never wrapped, so a token can be copied whole.
    print(f"TOKEN={county_token}", flush=True)
    print(f"SUPERVISOR_TOKEN={supervisor_token}", flush=True)
    import uvicorn

    uvicorn.run("hub.app:create_app", factory=True, host=host, port=port, log_level="info")
