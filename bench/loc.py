"""How big the product code is: ``tui/`` without the embedded gateway (``tui/sim``).

``python -m bench.loc [REV ...]`` prints, for the working tree and for each git revision given,
the lines (as ``wc -l`` counts them) and the code lines (no blank lines, comments or
docstrings) of each layer, and what each provider costs (its package and its detail body).
"""

from __future__ import annotations

import argparse
import ast
import io
import subprocess
import tokenize
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}
LAYERS = (  # the first prefix that matches names a file's layer
    ("tui/core/", "core (headless: model, store, poll loop)"),
    ("tui/providers/bctrl/", "provider: bctrl invocation API"),
    ("tui/providers/kernel/", "provider: Kernel"),
    ("tui/providers/current/", "provider: bctrl current API"),
    ("tui/ui/details/bctrl.py", "provider: bctrl invocation API"),
    ("tui/ui/details/kernel.py", "provider: Kernel"),
    ("tui/ui/details/current.py", "provider: bctrl current API"),
    ("tui/providers/", "providers, shared (HTTP, registry, recorder)"),
    ("tui/ui/", "viewer (Textual)"),
    ("tui/compat/", "Textual workarounds"),
    ("tui/", "command line, watch, config, serve, replay, bundle"),
)


def code_lines(source: str) -> int:
    """Lines holding code: not blank, not only a comment, not part of a docstring."""
    docstrings: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                docstrings.update(range(body[0].lineno, (body[0].end_lineno or 0) + 1))
    lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in SKIPPED and token.type != tokenize.ENDMARKER:
            lines.update(range(token.start[0], token.end[0] + 1))
    return len(lines - docstrings)


def files(rev: str | None) -> Iterator[tuple[str, str]]:
    """(path, text) of each product file, in the working tree or at ``rev``."""
    if rev is None:
        paths = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tui").rglob("*.py"))
    else:
        listing = ["git", "ls-tree", "-r", "--name-only", rev, "tui"]
        paths = subprocess.run(listing, cwd=ROOT, capture_output=True, text=True, check=True)
        paths = [p for p in paths.stdout.split() if p.endswith(".py")]
    for path in paths:
        if path.startswith("tui/sim/"):
            continue
        if rev is None:
            yield path, (ROOT / path).read_text()
        else:
            show = ["git", "show", f"{rev}:{path}"]
            yield path, subprocess.run(show, cwd=ROOT, capture_output=True, text=True).stdout


def measure(rev: str | None) -> dict[str, tuple[int, int]]:
    sizes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for path, text in files(rev):
        layer = next(name for prefix, name in LAYERS if path.startswith(prefix))
        sizes[layer][0] += text.count("\n")
        sizes[layer][1] += code_lines(text)
    return {layer: (lines, code) for layer, (lines, code) in sizes.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revs", nargs="*", help="git revisions to measure beside the tree")
    for rev in [None, *parser.parse_args().revs]:
        sizes = measure(rev)
        print(f"\n{rev or 'working tree'}: lines / code lines")
        for layer, (lines, code) in sorted(sizes.items()):
            print(f"  {lines:6,} {code:6,}  {layer}")
        print(f"  {sum(s[0] for s in sizes.values()):6,} {sum(s[1] for s in sizes.values()):6,}")


if __name__ == "__main__":
    main()
