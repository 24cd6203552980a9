"""The README and docs/ stay true to the repository: every relative link and image points to a file that exists (and
an anchor to a heading there), the README's two commands are the ones CI runs, and the Space's card stays valid."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from PIL import Image

from fashion_ai.config import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
DOCS = PROJECT_ROOT / "docs"
CI = PROJECT_ROOT / ".ci" / "run"
APP_COMMAND = "pip install -r requirements.txt && python app.py"
TEST_COMMAND = "pip install -r requirements-dev.txt && python -m pytest"
README_MAX_LINES = 260  # issue 39: a newcomer reads it in five minutes
SCREENSHOTS = ("attributes", "search", "stylist", "chat")
SCREENSHOT_MAX_BYTES = 400 * 1024

FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.M | re.S)
INLINE_CODE = re.compile(r"`[^`\n]*`")
# [text](target) and ![alt](target), with an optional "title"; the text may hold brackets of its own (one level).
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", re.M)
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)


def doc_files() -> list[Path]:
    return [README, *sorted(DOCS.glob("**/*.md"))]


def prose(text: str) -> str:
    """The text without code blocks and inline code, where brackets and hashes are not links or headings."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def links(text: str) -> list[str]:
    """Every link and image target in a markdown text, in order."""
    return LINK.findall(prose(text))


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: its text (links and emphasis unwrapped) lowercased, punctuation dropped, each
    space a hyphen."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"[*`]|(?<!\w)_+|_+(?!\w)", "", text).strip().lower()  # emphasis marks, not chat_turn's _
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(text: str) -> set[str]:
    """The anchors a markdown file's headings give, with GitHub's -1, -2 for repeated ones."""
    seen: dict[str, int] = {}
    found = set()
    for heading in HEADING.findall(prose(text)):
        slug = anchor(heading)
        found.add(f"{slug}-{seen[slug]}" if slug in seen else slug)
        seen[slug] = seen.get(slug, 0) + 1
    return found


def broken_links(path: Path) -> list[str]:
    """Each relative link or image of a markdown file that points nowhere, with the reason."""
    broken = []
    for target in links(path.read_text(encoding="utf-8")):
        if SCHEME.match(target):  # https:, mailto:: not ours to check offline
            continue
        file_part, _, fragment = target.partition("#")
        where = (path.parent / file_part).resolve() if file_part else path
        if not where.exists():
            broken.append(f"{target} (no such file)")
        elif fragment and where.suffix == ".md" and fragment not in anchors(where.read_text(encoding="utf-8")):
            broken.append(f"{target} (no heading #{fragment} in {where.name})")
    return broken


def bash_lines(text: str) -> list[str]:
    """The lines of a markdown text's ```bash blocks, stripped."""
    blocks = re.findall(r"^```bash[ \t]*\n(.*?)^```", text, re.M | re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


# --------------------------------------------------------------------------------------------- links
@pytest.mark.parametrize("doc", doc_files(), ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_every_relative_link_and_image_points_to_a_file(doc):
    assert broken_links(doc) == []


def test_the_link_checker_finds_what_is_broken_and_only_that(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "tab.png").write_bytes(b"png")
    twice = "## Figures: 100,000 items (2026-11-24)\n\n"
    (tmp_path / "other.md").write_text(f"# Other\n\n{twice}{twice}")
    (tmp_path / "page.md").write_text(
        "# Page\n\n"
        "![a tab](images/tab.png) and ![gone](images/gone.png)\n"
        "[fine](other.md), [anchor](other.md#figures-100000-items-2026-11-24),\n"
        "[the second of two headings alike](other.md#figures-100000-items-2026-11-24-1),\n"
        "[wrong anchor](other.md#figures), [missing](missing.md), [here](#page), [not here](#nowhere)\n"
        "[the web](https://example.com/x.md) and `[in code](nowhere.md)`\n\n"
        "```bash\necho [also code](nowhere.md)\n```\n")
    assert broken_links(tmp_path / "page.md") == [
        "images/gone.png (no such file)",
        "other.md#figures (no heading #figures in other.md)",
        "missing.md (no such file)",
        "#nowhere (no heading #nowhere in page.md)",
    ]


@pytest.mark.parametrize(("heading", "slug"), [
    ('"No garment"', "no-garment"),
    ("The last recipe's steps: class head (history, 2026-11-24)", "the-last-recipes-steps-class-head-history-2026-11-24"),
    ("Memory plan for PaliGemma 2 3B (full vs LoRA vs QLoRA)", "memory-plan-for-paligemma-2-3b-full-vs-lora-vs-qlora"),
    ("The `/chat_turn` API", "the-chat_turn-api"),  # underscores stay, as GitHub keeps them
])
def test_anchors_are_githubs(heading, slug):
    assert anchor(heading) == slug


def test_every_doc_and_screenshot_is_reachable_from_the_readme():
    readme_links = {target.partition("#")[0] for target in links(README.read_text(encoding="utf-8"))}
    for path in sorted(DOCS.glob("*.md")):
        assert str(path.relative_to(PROJECT_ROOT)) in readme_links, f"README does not link {path.name}"
    for name in SCREENSHOTS:
        assert f"docs/images/{name}.png" in readme_links, f"README does not show {name}.png"


# --------------------------------------------------------------------------------------------- the README itself
def test_the_readmes_test_command_is_the_one_ci_runs():
    assert TEST_COMMAND in bash_lines(README.read_text(encoding="utf-8"))
    ci_commands = [line.strip() for line in CI.read_text(encoding="utf-8").splitlines()
                   if line.strip() and not line.strip().startswith("#")]
    assert TEST_COMMAND in ci_commands


def test_the_readmes_app_command_installs_what_ci_installs():
    assert APP_COMMAND in bash_lines(README.read_text(encoding="utf-8"))
    # CI installs requirements-dev.txt, which must pull in the app's own requirements.txt.
    dev = (PROJECT_ROOT / "requirements-dev.txt").read_text(encoding="utf-8").splitlines()
    assert "-r requirements.txt" in [line.strip() for line in dev]
    assert (PROJECT_ROOT / "app.py").is_file()


def test_the_readme_is_a_valid_space_card_and_short():
    text = README.read_text(encoding="utf-8")
    front, _, body = text.removeprefix("---\n").partition("\n---\n")
    card = yaml.safe_load(front)
    assert card["sdk"] == "gradio" and card["app_file"] == "app.py"
    # "gradio[mcp]==6.31.0": the pin's package name without its extras
    pins = {name.split("[")[0]: version for name, version in
            (line.split("==") for line in (PROJECT_ROOT / "requirements.txt").read_text().splitlines()
             if "==" in line and not line.startswith("#"))}
    assert card["sdk_version"] == pins["gradio"]  # the Space runs the gradio the app is tested with
    assert body.lstrip().startswith("# Fashion AI")
    assert len(text.splitlines()) <= README_MAX_LINES


@pytest.mark.parametrize("name", SCREENSHOTS)
def test_screenshots_are_small_pngs_of_the_page(name):
    path = DOCS / "images" / f"{name}.png"
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.width == 1280  # the browser test's viewport
    assert path.stat().st_size <= SCREENSHOT_MAX_BYTES


def layout_block(text: str) -> str:
    """The code block under README's "Layout" heading."""
    section = text.split("\n## Layout", 1)[1].split("\n## ", 1)[0]
    return section.split("```", 2)[1]


def test_the_readmes_layout_names_every_part_of_the_library():
    """Every package and module of fashion_ai/ (and every top-level folder) has its line in the Layout section."""
    block = layout_block(README.read_text(encoding="utf-8"))
    named = set(re.findall(r"[\w.]+/?", block))
    library = PROJECT_ROOT / "fashion_ai"
    parts = [p.name + "/" for p in library.iterdir() if p.is_dir() and (p / "__init__.py").exists()]
    parts += [p.name for p in library.glob("*.py") if p.name != "__init__.py"]
    parts += [p.name + "/" for p in PROJECT_ROOT.iterdir()
              if p.is_dir() and not p.name.startswith(".") and p.name not in ("artifacts", "runs", "data")
              and any(p.rglob("*.*"))]
    missing = sorted(part for part in parts if part not in named)
    assert not missing, f"README's Layout lacks {missing}"
