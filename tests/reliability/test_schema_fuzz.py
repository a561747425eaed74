"""schemathesis over the whole OpenAPI schema of the live app (uvicorn, a small imported city): no 5xx.

Bounded for `make test` (FANGKONG_FUZZ_EXAMPLES per operation, default 12, SQLite); a longer run on both
stores is in docs/operations.md (FANGKONG_FUZZ_EXAMPLES=200 FANGKONG_FUZZ_STORES=sqlite,postgres).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from clihelp import fk
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from test_api import server  # noqa: F401 - the live uvicorn fixture (sends the auth headers, if any)
from test_flow import city

EXAMPLES = int(os.environ.get("FANGKONG_FUZZ_EXAMPLES", "12"))
#: SQLite in `make test` (PostgreSQL's odd-input answers are swept by tests/test_api.py); both for a long run
STORES = os.environ.get("FANGKONG_FUZZ_STORES", "sqlite").split(",")
# httpx's own headers; whatever else the `server` client sends (the auth token) goes with every case
_HTTPX = {"host", "accept", "accept-encoding", "connection", "user-agent", "content-length"}


def _fuzz(operation, base_url: str, headers: dict, seen: dict) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case) -> None:
        seen["cases"] += 1
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        if response.status_code >= 500:   # collect every failing operation, then report them together
            seen["failures"].append(f"{operation.label}: {response.status_code} {case.as_curl_command()}")
        case.validate_response(response, checks=[not_a_server_error])

    try:
        run()
    except (Exception, BaseExceptionGroup):  # noqa: BLE001 - recorded above (schemathesis raises a group)
        pass


@pytest.mark.parametrize("env", STORES, indirect=True)
def test_no_server_error_on_any_operation(server, tmp_path):  # noqa: F811
    assert fk("import", city(tmp_path / "city")).exit_code == 0
    r = server.post("/api/cases", json={"person_id": "P00001", "sampled_at": "2022-03-11T08:00:00+08:00"})
    assert r.status_code == 201, r.text
    base_url = str(server.base_url).rstrip("/")
    headers = {k: v for k, v in server.headers.items() if k.lower() not in _HTTPX}
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", headers=headers)
    seen = {"cases": 0, "failures": []}
    for result in schema.get_all_operations():
        _fuzz(result.ok(), base_url, headers, seen)
    print(f"schemathesis: {seen['cases']} cases over the schema, {len(seen['failures'])} operations with a 5xx")
    assert not seen["failures"], "\n\n".join(seen["failures"])
