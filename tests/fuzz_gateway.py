"""``make fuzz``: the schemathesis CLI against the embedded gateway, once per contract file.

Starts a gateway on a free loopback port (world clock sped up, so live invocations finish and
the long-poll returns), reads real ids from it, and writes a schemathesis config per file that
puts a real id into the path half the time (a schemathesis dictionary) and keeps ``timeoutMs``
short. Checks: no 5xx, and every declared response conforms to its schema. The gateway's 404s
for unknown ids are fine (the contract declares none for most endpoints).

    python -m tests.fuzz_gateway --examples 500 [--seed 1] [--mode all]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from tui.sim.server import GatewayOptions, GatewayServer

from .contract_mock import SPEC_DIR, SPEC_FILES

AUTH = "Bearer x"
CHECKS = "not_a_server_error,response_schema_conformance"


def real_ids(url: str) -> dict[str, list[str]]:
    """Run, invocation and Kernel invocation ids the gateway knows now."""
    with httpx.Client(base_url=url, headers={"Authorization": AUTH}, timeout=30) as http:
        runs = [r["id"] for r in http.get("/v1/runs").json()["data"]]
        invocations = [
            i["id"]
            for run in runs
            for i in http.get(f"/v1/runs/{run}/invocations", params={"limit": 30}).json()["data"]
        ]
        kernel = [i["id"] for i in http.get("/invocations", params={"limit": 30}).json()]
    return {"runs": runs, "invocations": invocations, "kernel": kernel}


def config_for(spec: str, ids: dict[str, list[str]]) -> str:
    """A schemathesis TOML config binding the spec's path id to real ids half the time."""
    if spec == "bctrl-v1-runs-invocations-list":
        name, values = "runId", ids["runs"]
    elif spec == "kernel-invocations-get":
        name, values = "id", ids["kernel"]
    else:
        name, values = "id", ids["invocations"]
    lines = [
        "[cache]",
        "enabled = false",  # no .schemathesis/ state left in the checkout
        "[dictionaries.real]",
        f"values = {json.dumps(values)}",
        "[dictionaries.short_waits]",
        "values = [0, 1, 50, 200]",
        "[parameters]",
        f'"path.{name}" = {{ dictionary = "real", probability = 0.5 }}',
    ]
    if spec == "bctrl-v1-invocations-wait":
        lines.append('"body.timeoutMs" = { dictionary = "short_waits", probability = 0.9 }')
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz_gateway", description=__doc__)
    parser.add_argument("--examples", type=int, default=500, help="per operation (default 500)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mode", choices=["positive", "negative", "all"], default="all")
    parser.add_argument("--speed", type=float, default=20.0, help="gateway world clock speed")
    args = parser.parse_args(argv)
    schemathesis = Path(sys.executable).with_name("schemathesis")
    failed: list[str] = []
    options = GatewayOptions(scenario="demo", speed=args.speed, port=0)
    with GatewayServer(options) as gateway, tempfile.TemporaryDirectory() as tmp:
        ids = real_ids(gateway.url)
        print(f"gateway {gateway.url}: {', '.join(f'{len(v)} {k}' for k, v in ids.items())}")
        for spec in SPEC_FILES:
            config = Path(tmp) / f"{spec}.toml"
            config.write_text(config_for(spec, ids))
            command = [
                str(schemathesis),
                "--config-file",
                str(config),
                "run",
                str(SPEC_DIR / f"{spec}.yaml"),
                "--url",
                gateway.url,
                "--header",
                f"Authorization: {AUTH}",
                "--checks",
                CHECKS,
                "--max-examples",
                str(args.examples),
                "--seed",
                str(args.seed),
                "--mode",
                args.mode,
                "--request-timeout",
                "70",
                "--no-color",
            ]
            print(f"\n=== {spec}", flush=True)
            if subprocess.run(command, cwd=tmp, check=False).returncode != 0:
                failed.append(spec)
    print("\nfuzz: " + (f"FAILED {', '.join(failed)}" if failed else "every contract file passed"))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
