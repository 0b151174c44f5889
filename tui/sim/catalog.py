"""Realistic content for the simulated service: steps per action, failures with diagnostics."""

from __future__ import annotations

import random
from typing import Any

SITES = (
    "https://shop.example.com/cart",
    "https://news.example.org/latest",
    "https://app.example.io/login",
    "https://tickets.example.net/events/4411",
    "https://docs.example.dev/search?q=invoice",
)

DOCS = "https://docs.bctrl.ai/errors/"


def request_steps(action: str, rng: random.Random) -> list[dict[str, Any]]:
    """The steps a caller asks for, by action."""
    site = rng.choice(SITES)
    goto: dict[str, Any] = {"call": "page.goto", "args": [site], "bind": "@page"}
    if action == "act":
        return [
            goto,
            {"call": "page.fill", "ref": "#email", "args": ["ops@example.com"]},
            {"call": "page.click", "ref": "#continue"},
            {
                "call": "page.waitForSelector",
                "args": ["#order-summary"],
                "options": {"timeoutMs": 30000},
            },
            {"call": "page.click", "ref": "#checkout"},
        ]
    if action == "observe":
        return [goto, {"call": "page.observe", "args": ["find the primary call to action"]}]
    if action == "extract":
        return [
            goto,
            {"call": "page.waitForSelector", "args": ["article"]},
            {"call": "page.extract", "args": [{"title": "string", "price": "number"}]},
        ]
    if action == "browserUse":
        return [goto, {"call": "agent.run", "args": ["Find the cheapest flight to Lisbon"]}]
    if action == "stagehandAgent":
        return [
            goto,
            {"call": "agent.execute", "args": ["Log in and download the latest invoice"]},
            {"call": "page.screenshot", "options": {"dryRun": False}},
        ]
    if action == "solveCaptcha":
        return [goto, {"call": "captcha.detect"}, {"call": "captcha.solve"}]
    return [goto, {"call": "page.evaluate", "args": ["document.title"]}]


def step_message(call: str) -> str:
    """What the progress message says while a call runs."""
    verb = call.split(".")[-1]
    return {
        "goto": "Navigating",
        "fill": "Typing into #email",
        "click": "Clicking",
        "waitForSelector": "Waiting for the page to settle",
        "observe": "Observing the page",
        "extract": "Extracting structured data",
        "run": "Agent is browsing",
        "execute": "Agent is working",
        "screenshot": "Capturing a screenshot",
        "detect": "Looking for a captcha",
        "solve": "Solving the captcha",
    }.get(verb, f"Running {call}")


def success_result(action: str, rng: random.Random) -> Any:
    """The JSON result of a successful invocation."""
    if action == "extract":
        n = rng.randint(1, 4)
        return {
            "items": [
                {"title": f"Item {i + 1}", "price": round(rng.uniform(3, 250), 2)} for i in range(n)
            ],
            "count": n,
        }
    if action == "observe":
        return {"elements": [{"selector": "#checkout", "description": "Checkout button"}]}
    if action in ("browserUse", "stagehandAgent"):
        return {"answer": "Done: found 3 matching results", "pagesVisited": rng.randint(2, 9)}
    if action == "solveCaptcha":
        return {"solved": True, "kind": "recaptcha-v2"}
    return {"ok": True}


FAILURE_KINDS = (
    "UNKNOWN_CALL",
    "INVALID_ARGS",
    "UNKNOWN_REF",
    "TIMEOUT",
    "DRIVER_NOT_CONNECTED",
    "CAPABILITY_NOT_AVAILABLE",
    "RUNTIME_NOT_FOUND",
)


def step_failure(kind: str, call: str, runtime_kind: str) -> tuple[str, dict[str, Any]]:
    """``(call as it failed, StepError body)`` for a failure kind."""
    driver = {"browser": "playwright@1.49", "desktop": "xdotool@3.2", "spreadsheet": "sheets@2"}
    drv = driver.get(runtime_kind, "unknown")
    if kind == "UNKNOWN_CALL":
        typo = call[:-1] if len(call) > 6 else call + "x"
        real = call
        return typo, {
            "code": "UNKNOWN_CALL",
            "message": f"Unknown call '{typo}'",
            "hint": f"Did you mean '{real}'?",
            "diagnostic": {
                "id": "diag_unknown_call",
                "category": "semantic",
                "code": "call.unknown",
                "call": typo,
                "driver": drv,
                "expected": "a call exposed by the runtime's driver",
                "received": typo,
                "closest": [real, real.replace("click", "dblclick")] if "click" in real else [real],
                "fixes": [
                    {
                        "title": f"Use {real}",
                        "command": f"bctrl steps lint --fix --call {real}",
                        "example": f'{{"call": "{real}", "ref": "#checkout"}}',
                    }
                ],
                "docsUrl": DOCS + "UNKNOWN_CALL",
            },
        }
    if kind == "INVALID_ARGS":
        return call, {
            "code": "INVALID_ARGS",
            "message": f"Invalid arguments for {call}",
            "hint": "Pass a selector string as the first argument.",
            "diagnostic": {
                "id": "diag_invalid_args",
                "category": "arg-shape",
                "code": "args.type_mismatch",
                "call": call,
                "driver": drv,
                "expected": "[selector: string, value?: string]",
                "received": "[42]",
                "fixes": [
                    {
                        "title": "Quote the selector",
                        "example": f'{{"call": "{call}", "args": ["#email"]}}',
                    },
                    {"title": "Validate steps before sending", "command": "bctrl steps validate"},
                ],
                "docsUrl": DOCS + "INVALID_ARGS",
            },
        }
    if kind == "UNKNOWN_REF":
        return call, {
            "code": "UNKNOWN_REF",
            "message": "Reference '@checkout-btn' is not bound in this invocation",
            "hint": "Bind the element in an earlier step with `bind`.",
            "diagnostic": {
                "id": "diag_unknown_ref",
                "category": "semantic",
                "code": "ref.unbound",
                "call": call,
                "driver": drv,
                "expected": "a ref bound by an earlier step",
                "received": "@checkout-btn",
                "closest": ["@checkout-button", "@checkout"],
                "fixes": [
                    {
                        "title": "Use the bound name",
                        "example": f'{{"call": "{call}", "ref": "@checkout-button"}}',
                    }
                ],
                "docsUrl": DOCS + "UNKNOWN_REF",
            },
        }
    if kind == "TIMEOUT":
        return call, {
            "code": "TIMEOUT",
            "message": f"{call} timed out after 30000 ms waiting for '#order-summary'",
            "hint": "Raise options.timeoutMs, or wait for a visible element first.",
            "diagnostic": {
                "id": "diag_timeout",
                "category": "runtime",
                "code": "step.timeout",
                "call": call,
                "driver": drv,
                "expected": "'#order-summary' visible within 30000 ms",
                "received": "no matching element after 30000 ms",
                "fixes": [
                    {
                        "title": "Increase the step timeout",
                        "example": f'{{"call": "{call}", "options": {{"timeoutMs": 60000}}}}',
                    }
                ],
                "docsUrl": DOCS + "TIMEOUT",
            },
        }
    if kind == "DRIVER_NOT_CONNECTED":
        return call, {
            "code": "DRIVER_NOT_CONNECTED",
            "message": "The runtime's driver disconnected during the step",
            "hint": "Restart the runtime and retry the invocation.",
            "diagnostic": {
                "id": "diag_driver",
                "category": "runtime",
                "code": "driver.disconnected",
                "call": call,
                "driver": drv,
                "fixes": [
                    {
                        "title": "Restart the runtime",
                        "command": "bctrl runtimes restart <runtimeId>",
                    }
                ],
                "docsUrl": DOCS + "DRIVER_NOT_CONNECTED",
            },
        }
    if kind == "CAPABILITY_NOT_AVAILABLE":
        return call, {
            "code": "CAPABILITY_NOT_AVAILABLE",
            "message": f"{call} is not available on {runtime_kind} runtimes",
            "diagnostic": {
                "id": "diag_capability",
                "category": "semantic",
                "code": "capability.missing",
                "call": call,
                "driver": drv,
                "expected": "a browser runtime",
                "received": f"a {runtime_kind} runtime",
                "docsUrl": DOCS + "CAPABILITY_NOT_AVAILABLE",
            },
        }
    # No diagnostic at all: the viewer must say that no details were returned.
    return call, {"code": "RUNTIME_NOT_FOUND", "message": "The runtime was not found"}


# -- the huge scenario: one long crawl, thousands of steps ----------------------------------

DIAGNOSED_KINDS = FAILURE_KINDS[:-1]
"""Failure kinds whose step error carries a diagnostic (all but RUNTIME_NOT_FOUND)."""

_SHOP = "https://shop.example.com"
_CATEGORIES = ("lamps", "chairs", "desks", "rugs", "shelves", "mirrors", "vases", "clocks")
_ADJECTIVES = ("Oak", "Walnut", "Brass", "Linen", "Nordic", "Vintage", "Compact", "Woven")
_SENTENCES = (
    "Hand-finished by a small workshop and shipped flat-packed in recycled cardboard.",
    "Fits most rooms; the matching set is sold separately in three colours.",
    "Assembly takes about twenty minutes with the included hex key.",
    "Rated for daily use; wipe clean with a damp cloth, never with solvents.",
    "Free returns within 30 days when the item is unused and in its box.",
    "Ships within two business days from the regional warehouse.",
    "Customers mention sturdy joints and a finish that matches the photos.",
    "Replacement parts are available for five years after purchase.",
)
_EXTRACT_SCHEMA = {
    "items": [
        {
            "title": "string",
            "price": "number",
            "sku": "string",
            "url": "string",
            "rating": "number",
            "inStock": "boolean",
            "summary": "string",
        }
    ]
}


def crawl_steps(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """``count`` steps of a catalogue crawl: open a listing page, wait, extract, page on."""
    steps: list[dict[str, Any]] = []
    page = 0
    while len(steps) < count:
        page += 1
        category = rng.choice(_CATEGORIES)
        url = f"{_SHOP}/c/{category}?page={page}&sort=popular"
        steps += [
            {"call": "page.goto", "args": [url], "bind": "@page"},
            {
                "call": "page.waitForSelector",
                "args": ["ul.product-grid > li"],
                "options": {"timeoutMs": 15000},
            },
            {"call": "page.extract", "args": [_EXTRACT_SCHEMA]},
            {"call": "page.screenshot", "options": {"dryRun": False}},
            {"call": "page.click", "ref": "a[rel=next]"},
        ]
    return steps[:count]


def crawl_result(step: dict[str, Any], index: int, rng: random.Random) -> Any:
    """What a crawl step returned: a listing page's extract carries most of the bytes."""
    verb = step["call"].split(".")[-1]
    took = rng.randint(40, 2400)
    if verb == "goto":
        return {
            "url": step["args"][0],
            "status": 200,
            "title": "Shop · " + step["args"][0].split("/c/")[-1].split("?")[0].title(),
            "bytes": rng.randint(80_000, 400_000),
            "durationMs": took,
        }
    if verb == "waitForSelector":
        return {"matched": 24, "durationMs": took}
    if verb == "extract":
        items = []
        for n in range(24):
            sku = f"SKU-{rng.randrange(10**6):06d}"
            category = rng.choice(_CATEGORIES)
            items.append(
                {
                    "title": f"{rng.choice(_ADJECTIVES)} {category[:-1]} no. {n + 1}",
                    "price": round(rng.uniform(9, 900), 2),
                    "sku": sku,
                    "url": f"{_SHOP}/p/{sku.lower()}",
                    "rating": round(rng.uniform(2.5, 5.0), 1),
                    "inStock": rng.random() < 0.85,
                    "summary": " ".join(rng.sample(_SENTENCES, 2)),
                }
            )
        return {"items": items, "count": len(items), "durationMs": took}
    if verb == "screenshot":
        return {
            "artifactId": f"art_{index:05d}",
            "path": f"artifacts/crawl/{index:05d}.png",
            "width": 1280,
            "height": rng.choice((2400, 3200, 4100)),
            "bytes": rng.randint(200_000, 900_000),
            "durationMs": took,
        }
    return {"navigated": True, "durationMs": took}
