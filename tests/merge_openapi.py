"""Merge the contract's OpenAPI files (one per endpoint) into one spec, for Prism.

One spec is right here: the five files' paths do not overlap (bctrl's under ``/v1`` and
``/v2``, Kernel's ``/invocations/{id}``), so one Prism instance on one port serves them all
and ``runwatch --base-url`` needs one origin. Components are merged by name; a name two files
define differently is renamed ``<file>__<name>`` in the second file, refs included (today only
``securitySchemes.bearerAuth`` differs, by its description, and is kept once). Kernel's
top-level ``security`` is already on its operation and is dropped, so it cannot leak onto
bctrl's paths. ``nullable: true`` (OpenAPI 3.0, in the Kernel file) becomes a ``null`` type,
which is what the file means and what 3.1 understands.

    python -m tests.merge_openapi [--out build/contract-mock/openapi.yaml] [--port 4010]
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from .contract_mock import SPEC_DIR, SPEC_FILES

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "build" / "contract-mock" / "openapi.yaml"
Json = Any


def _nullable_to_type(node: Json) -> Json:
    if isinstance(node, list):
        return [_nullable_to_type(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _nullable_to_type(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable") is True and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


def _rename_refs(node: Json, renames: dict[str, str]) -> Json:
    if isinstance(node, list):
        return [_rename_refs(item, renames) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _rename_refs(v, renames) for k, v in node.items()}
    ref = out.get("$ref")
    if isinstance(ref, str) and ref in renames:
        out["$ref"] = renames[ref]
    return out


def _same(a: Json, b: Json) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def merge(specs: dict[str, Json], port: int = 4010) -> dict[str, Json]:
    """One OpenAPI 3.1 document with every path and component of ``specs`` (name -> doc)."""
    merged: dict[str, Json] = {
        "openapi": "3.1.0",
        "info": {
            "title": "runwatch contract: bctrl and Kernel (merged for a mock)",
            "version": "1.0.0",
            "description": "Merged by tests/merge_openapi.py from " + ", ".join(specs),
        },
        "servers": [{"url": f"http://127.0.0.1:{port}"}],
        "paths": {},
        "components": {},
    }
    for name, original in specs.items():
        spec = _nullable_to_type(copy.deepcopy(original))
        renames: dict[str, str] = {}
        components = spec.get("components", {})
        for section, items in components.items():
            have = merged["components"].setdefault(section, {})
            for key, value in items.items():
                if key in have and not _same(have[key], value) and section != "securitySchemes":
                    renames[f"#/components/{section}/{key}"] = (
                        f"#/components/{section}/{name}__{key}"
                    )
        spec = _rename_refs(spec, renames)
        for section, items in spec.get("components", {}).items():
            have = merged["components"][section]
            for key, value in items.items():
                target = renames.get(f"#/components/{section}/{key}", "").rsplit("/", 1)[-1] or key
                have.setdefault(target, value)
        for path, item in spec.get("paths", {}).items():
            if path in merged["paths"]:
                raise ValueError(f"{path} is in two contract files; serve them separately")
            if "security" in spec:
                for operation in item.values():
                    if isinstance(operation, dict):
                        operation.setdefault("security", spec["security"])
            merged["paths"][path] = item
    return merged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.merge_openapi", description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--port", type=int, default=4010, help="the servers entry's port")
    args = parser.parse_args(argv)
    specs = {name: yaml.safe_load((SPEC_DIR / f"{name}.yaml").read_text()) for name in SPEC_FILES}
    document = merge(specs, args.port)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    print(
        f"merged {len(specs)} files, {len(document['paths'])} paths -> {args.out}", file=sys.stderr
    )
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
