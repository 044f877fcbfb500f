"""axe-core for the browser tests: the pinned npm tarball fetched with coach.assets (sha512
checked, unpacked into the gitignored vendor folder), injected into a page, its serious and
critical WCAG 2.1 A/AA violations returned.

Pinned: axe-core 4.11.0 from registry.npmjs.org (MPL-2.0). Tests that need it skip, saying
why, when it cannot be fetched (offline, no registry)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from coach.assets import AssetError, fetch

VERSION = "4.11.0"
URL = f"https://registry.npmjs.org/axe-core/-/axe-core-{VERSION}.tgz"
INTEGRITY = "sha512-ilYanEU8vxxBexpJd8cWM4ElSQq4QctCLKih0TSfjIfCQTeyH/6zVrmIJfLPrKTKJRbiG+cfnZbQIjAlJmF1jQ=="  # noqa: E501 (npm's string, whole)
REPO = Path(__file__).resolve().parents[2]
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN = """async (tags) => {
  const r = await window.axe.run(document, { runOnly: { type: "tag", values: tags } });
  return r.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(" ")} :: ${n.failureSummary}`),
    }));
}"""


def axe_source() -> str:
    """axe.min.js of the pinned version (fetched once; `COACH_AXE_DIR` names another folder
    than the repository's vendor/); skips the test with the reason when it cannot be had."""
    root = Path(os.environ.get("COACH_AXE_DIR") or REPO / "vendor")
    try:
        result = fetch(
            URL, INTEGRITY, root=root, folder_name="axe-core", package="axe-core", version=VERSION
        )
    except AssetError as exc:
        pytest.skip(f"axe-core {VERSION} could not be fetched from the npm registry: {exc}")
    return (result.folder / "axe.min.js").read_text(encoding="utf-8")


def serious_violations(page: Any, source: str) -> list[dict[str, Any]]:
    """Inject axe (through DevTools: the pages' CSP allows no inline script) and run it."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(f"() => {{ {source}\n; window.axe = axe; }}")
    return page.evaluate(RUN, TAGS)
