"""The incident bundle (issue 16): one Markdown file per group, never with the key in it."""

from __future__ import annotations

import asyncio
import base64
import re
import shlex
import urllib.parse
from pathlib import Path

import pytest

from tui import bundle
from tui.providers import PROVIDERS
from tui.sim.server import GatewayServer

from .conftest import FROZEN_NOW
from .hostile_server import HostileServer, hostile_ids
from .viewer_helpers import CONTROL, loaded, make_app, open_failed_run, record_toasts, wait_for

KEY = "sk-live-BUNDLE-9f8e7d6c5b4a"


def forms(secret: str) -> list[str]:
    """The key as it could leak: plain, URL-encoded, base64."""
    return [
        secret,
        urllib.parse.quote(secret),
        base64.b64encode(secret.encode()).decode(),
        base64.urlsafe_b64encode(secret.encode()).decode(),
    ]


def bundle_of(server: str, provider: str, pick: int) -> str:
    async def go() -> str:
        source = PROVIDERS[provider].make_source(KEY, server, clock=lambda: FROZEN_NOW)
        try:
            ref = (await source.groups())[pick].key
            evidence = await bundle.collect(source, ref, clock=lambda: FROZEN_NOW)
            return bundle.render(evidence)
        finally:
            await source.aclose()

    return asyncio.run(go())


def test_a_failed_runs_bundle_says_why_and_how_to_fetch_it_again(
    frozen_gateway: GatewayServer,
) -> None:
    text = bundle_of(frozen_gateway.url, "bctrl", 3)  # the demo's failed run
    assert text.startswith("# Run 121a2084")
    assert "**Failure:** `runtime.crashed · The spreadsheet runtime exited unexpectedly`" in text
    assert "## 18 invocations" in text and "- timed_out: 3" in text
    assert "## Failures by cause (5 invocations, 4 causes)" in text
    assert "### TIMEOUT page.goto x2" in text and "**Fix:** Increase the step timeout" in text
    assert text.count("**Fix:** Increase the step timeout") == 2, "once per cause, not per row"
    assert "## The first failure" in text and "CAPABILITY_NOT_AVAILABLE" in text
    timeline = text.split("## Timeline", 1)[1].split("```", 2)[1]
    assert timeline.count("|") == 2 * 18 and "*" in timeline, "every row on the axis"
    assert '-H "Authorization: Bearer $BCTRL_API_KEY"' in text
    for form in forms(KEY):
        assert form not in text
    assert_curls_run_as_pasted(text, frozen_gateway.url)


def assert_curls_run_as_pasted(text: str, url: str) -> None:
    """Each ``sh`` block is one curl command as a shell reads it (a backslash before a
    newline continues the line): no stray argument, the URL last (a user trial: the
    continuations were flattened to '\\   http://…', an argument curl calls a bad URL)."""
    blocks = re.findall(r"```sh\n(.*?)\n```", text, re.S)
    assert blocks
    for block in blocks:
        words = shlex.split(block.replace("\\\n", ""))
        assert words[0] == "curl" and words[-1].startswith(url), words
        assert all(word.strip() for word in words), words


def test_a_kernel_bundle_has_the_last_log_lines(frozen_gateway: GatewayServer) -> None:
    text = bundle_of(frozen_gateway.url, "kernel", 0)
    assert text.startswith("# App version ")
    assert "## Last log lines of " in text
    # Each failed row's log in the timeline's order (oldest first), whichever read finished
    # first (the order changed from one bundle of the same app version to the next).
    logged = re.findall(r"## Last log lines of (\S+)", text)
    table = text.split("## Timeline", 1)[1]
    assert len(logged) > 1 and logged == sorted(logged, key=table.index), logged
    assert "$KERNEL_API_KEY" in text
    for form in forms(KEY):
        assert form not in text
    assert_curls_run_as_pasted(text, frozen_gateway.url)


def test_a_bundle_of_hostile_data_is_clean() -> None:
    with HostileServer(hostile_ids()) as server:
        text = bundle_of(server.url, "bctrl", 0)
    assert not CONTROL.search(text.replace("\n", "")), "no escape reaches the file"
    assert "pwned" not in text


async def test_b_writes_the_bundle_and_says_where(
    frozen_gateway: GatewayServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    toasts = record_toasts(monkeypatch)
    app = make_app(frozen_gateway, key=KEY, clock=lambda: FROZEN_NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        await open_failed_run(pilot, app)
        await pilot.press("b")  # its bundle
        await wait_for(pilot, lambda: any(t.title == "Incident bundle written" for t in toasts))
    check_written(tmp_path, [t.message for t in toasts if t.title == "Incident bundle written"])


def check_written(directory: Path, said: list[str]) -> None:
    written = list(directory.glob("runwatch-121a2084*.md"))
    assert len(written) == 1
    assert re.fullmatch(r"runwatch-121a2084-\d{8}-\d{6}\.md", written[0].name), "the short id"
    text = written[0].read_text(encoding="utf-8")
    assert "runtime.crashed" in text and "## Timeline" in text
    for form in forms(KEY):
        assert form not in text
    assert said and said[0].splitlines()[0] == written[0].name, "the name on a line of its own"
    assert f"in {written[0].parent}" in said[0], "and where"


@pytest.mark.parametrize(
    ("key", "named"),
    [
        ("4d6cc587-f13a-4b5c-9d8e-0123456789ab", "4d6cc587"),  # a UUID: its first 8
        ("run_uKbwr6AyP0qz9", "run_uKbwr6Ay"),  # a prefixed id: the prefix and 8 more
        ("tc_01HZX3", "tc_01HZX3"),
        ("web-scraper@1.4.2", "web-scraper-1.4.2"),  # Kernel's app@version is a name: whole
        ("../x/y:z\\w", "..-x-y-z-w"),  # a name that is not one: no path, no separator
    ],
)
def test_a_file_is_named_by_the_groups_short_id(key: str, named: str) -> None:
    """The id as the tables show it (:func:`short_id`), not its first 12 characters
    (``runwatch-4d6cc587-f13-...``)."""
    stamp = "20261207-172750"
    assert bundle.file_name(key, ".md", stamp) == f"runwatch-{named}-{stamp}.md"
    assert bundle.file_name(key, ".rwrec", stamp) == f"runwatch-{named}-{stamp}.rwrec"


# -- runwatch bundle REF: REF found as watch finds it ------------------------------------


def cli(
    args: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> tuple[int, str, str]:
    """``runwatch ARGS`` (a subcommand), with a key for either API and no config: its exit
    code, stdout and stderr."""
    from tui.cli import main

    monkeypatch.setenv("BCTRL_API_KEY", KEY)
    monkeypatch.setenv("KERNEL_API_KEY", KEY)
    monkeypatch.setenv("RUNWATCH_CONFIG_DIR", str(tmp_path / "config"))
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("ref", "named"),
    [
        ("price", "price-watch"),  # the start of one app's name: the app, every version
        ("price-watch@3", "price-watch@3.1.0"),  # the start of APP@VERSION: that version
        ("invocation", "price-watch@3.1.0"),  # the start of an invocation id: its version
    ],
)
def test_bundle_takes_what_watch_takes_of_a_kernel_app(
    frozen_gateway: GatewayServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    ref: str,
    named: str,
) -> None:
    """A user trial: ``runwatch watch --provider kernel price`` watched price-watch, while
    ``runwatch bundle --provider kernel price`` said no app was named price."""
    if ref == "invocation":
        plans = frozen_gateway.kernel.visible(FROZEN_NOW)
        ref = next(p.id for p in plans if p.app.name == "price-watch")[:6]
    args = ["--provider", "kernel", "--base-url", frozen_gateway.url]
    code, out, err = cli(
        ["bundle", ref, *args, "--out", str(tmp_path)], tmp_path, monkeypatch, capsys
    )
    assert code == 0, err
    written = Path(out.strip())
    assert written.parent == tmp_path
    assert written.name.startswith(f"runwatch-{named.replace('@', '-')}-"), written.name
    text = written.read_text(encoding="utf-8")
    assert f"- **id**: {named}\n" in text, text[:300]


def test_an_ambiguous_bundle_ref_lists_the_candidates_as_watch_does(
    frozen_gateway: GatewayServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A user trial: ``runwatch bundle --demo 6`` said '2 listed ids start with '6'' and
    named neither. Now as ``watch`` says it: the candidates listed, exit code 2, and for a
    ref that starts nothing, where it looked; no file is written."""
    ids = [run.id for run in frozen_gateway.world.runs]
    shared = next(c for c in "0123456789abcdef" if sum(i.startswith(c) for i in ids) > 1)
    candidates = [i for i in ids if i.startswith(shared)]
    cases = [
        [shared],
        ["fff"],
        ["--provider", "kernel", "web-scraper@1"],
        ["--provider", "kernel", "pricey"],
    ]
    said: dict[str, str] = {}
    for words in cases:
        where = [*words, "--base-url", frozen_gateway.url]
        bundled = cli(["bundle", *where, "--out", str(tmp_path)], tmp_path, monkeypatch, capsys)
        watched = cli(["watch", *where, "--once"], tmp_path, monkeypatch, capsys)
        assert bundled[0] == watched[0] == 2, (words, bundled, watched)
        alike = [re.sub(r"req_\d+", "req_…", err) for err in (bundled[2], watched[2])]
        assert bundled[1] == "" and alike[0] == alike[1], (words, bundled, watched)
        said[words[-1]] = bundled[2]
    err = said[shared]
    assert f"{shared} is ambiguous: {len(candidates)} runs start with it:" in err, err
    assert all(f"\n  {i}  " in err for i in candidates) and "give more of the id" in err, err
    assert not list(tmp_path.glob("*.md"))
