"""Article kinds and the one stylesheet: HTML head marker, Hugo shortcode, Nunjucks/Liquid, MDX."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.test_render import CLOSE, OPEN, site  # noqa: F401  (the fixture)
from tracker.cli import main
from tracker.config import PROJECT_ROOT, Settings
from tracker.publishing.buybox import STYLESHEET

BOX = f"{OPEN.format('cortexin', '')}\n{CLOSE}\n"


def render(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["render", *args])
    return result.exit_code, result.output


def write(settings: Settings, name: str, text: str) -> Path:
    path = settings.content_dir / name
    path.write_text(text, encoding="utf-8")
    return path


def test_no_box_carries_a_style_element_and_the_head_marker_gets_the_sheet(
    site: Settings,  # noqa: F811
) -> None:
    code, output = render()
    assert code == 0, output
    review = (site.out_dir / "cortexin-review.html").read_text(encoding="utf-8")
    head, body = review.split("</head>", 1)
    assert "<style" not in body  # no box brings its own <style>
    assert head.count(".tracker-offer__price{") == 1  # once, in the head marker
    markdown = (site.out_dir / "nootropics-compared.md").read_text(encoding="utf-8")
    assert "<style" not in markdown and '<div class="tracker-buy' in markdown
    sheet = site.out_dir / STYLESHEET
    assert ".tracker-offer__stock--instock" in sheet.read_text(encoding="utf-8")
    assert f"{sheet} (the boxes' stylesheet, written)" in output.replace("\n", "")


def test_the_styles_marker_belongs_in_an_html_head(site: Settings) -> None:  # noqa: F811
    path = write(site, "notes.md", "<!-- tracker:styles -->\n<!-- /tracker:styles -->\n" + BOX)
    code, output = render(str(path))
    assert code == 1 and "notes.md:1: tracker:styles belongs in an HTML page's <head>" in output


def test_markdown_boxes_in_a_hugo_shortcode(site: Settings, tmp_path: Path) -> None:  # noqa: F811
    config = Path(site.config_path or tmp_path / "tracker.toml")
    config.write_text(
        config.read_text(encoding="utf-8") + '[site]\nhugo_shortcode = "tracker-box"\n',
        encoding="utf-8",
    )
    path = write(site, "post.md", "# Post\n\n" + BOX)
    code, output = render(str(path))
    assert code == 0, output
    text = (site.out_dir / "post.md").read_text(encoding="utf-8")
    inside = text.split(OPEN.format("cortexin", ""), 1)[1].split(CLOSE, 1)[0]
    assert inside.strip().startswith('{{< tracker-box >}}\n<div class="tracker-buy')
    assert inside.strip().endswith("</div>\n{{< /tracker-box >}}")
    # HTML articles are not wrapped.
    html = (site.out_dir / "cortexin-review.html").exists()
    assert not html or "{{<" not in (site.out_dir / "cortexin-review.html").read_text()


@pytest.mark.parametrize("suffix", [".njk", ".liquid"])
def test_template_articles_hold_the_box_in_a_raw_block(
    site: Settings,  # noqa: F811
    suffix: str,
) -> None:
    path = write(site, f"page{suffix}", "{% extends 'base' %}\n" + BOX)
    code, output = render(str(path))
    assert code == 0, output
    text = (site.out_dir / f"page{suffix}").read_text(encoding="utf-8")
    inside = text.split(OPEN.format("cortexin", ""), 1)[1].split(CLOSE, 1)[0].strip()
    assert inside.startswith("{% raw %}\n<div") and inside.endswith("</div>\n{% endraw %}")
    assert inside.count("{%") == 2 and "$75.00" in inside
    assert text.startswith("{% extends 'base' %}\n")


def test_mdx_articles_are_reported_not_skipped_silently(site: Settings) -> None:  # noqa: F811
    path = write(site, "post.mdx", "# Post\n\n" + BOX)
    code, output = render()
    assert code == 0
    flat = " ".join(output.split())
    assert f"skipped: {path}: not rendered: MDX takes neither HTML comments" in flat
    assert not (site.out_dir / "post.mdx").exists()
    code, output = render(str(path))  # named on the command line: an error
    assert code == 1 and "post.mdx: not rendered: MDX" in " ".join(output.split())
    code, output = render(str(write(site, "post.rst", BOX)))
    assert code == 1 and ".rst is not an article kind" in " ".join(output.split())


def test_vendor_text_cannot_end_the_raw_block_or_the_shortcode() -> None:
    from tracker.publishing.publisher import wrap_for

    njk = wrap_for(".njk", "<span>{% endraw %}{{ secret }}</span>", None)
    assert njk.count("{%") == 2 and "{&#37; endraw %}" in njk
    hugo = wrap_for(".md", "<p>{{< /tracker-box >}} {{% x %}}</p>", "tracker-box")
    assert hugo.count("{{<") == 2 and "{{%" not in hugo
    assert wrap_for(".html", "<p>{% x %}</p>", "tracker-box") == "<p>{% x %}</p>"


HUGO = shutil.which("hugo")


@pytest.mark.slow
@pytest.mark.skipif(HUGO is None, reason="hugo is absent (apt-get install hugo)")
def test_hugo_with_its_default_markdown_shows_the_shortcode_box(
    site: Settings,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Real Hugo, default config (raw HTML dropped): the plain box vanishes, the wrapped shows."""
    plain = write(site, "plain.md", "# Plain\n\n" + BOX)
    assert render(str(plain))[0] == 0
    config = Path(site.config_path or tmp_path / "tracker.toml")
    config.write_text(
        config.read_text(encoding="utf-8") + '[site]\nhugo_shortcode = "tracker-box"\n',
        encoding="utf-8",
    )
    wrapped = write(site, "wrapped.md", "# Wrapped\n\n" + BOX)
    assert render(str(wrapped))[0] == 0
    hugo_site = tmp_path / "hugo"
    shutil.copytree(PROJECT_ROOT / "examples" / "hugo", hugo_site)
    (hugo_site / "hugo.toml").write_text('baseURL = "https://example.org/"\n', encoding="utf-8")
    (hugo_site / "layouts" / "_default").mkdir(parents=True)
    (hugo_site / "layouts" / "_default" / "single.html").write_text(
        "<main>{{ .Content }}</main>\n", encoding="utf-8"
    )
    (hugo_site / "content").mkdir()
    for name in ("plain.md", "wrapped.md"):
        body = (site.out_dir / name).read_text(encoding="utf-8")
        (hugo_site / "content" / name).write_text(
            f'---\ntitle: "{name}"\n---\n{body}', encoding="utf-8"
        )
    result = subprocess.run(
        [str(HUGO), "--source", str(hugo_site), "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    shown = (hugo_site / "public" / "wrapped" / "index.html").read_text(encoding="utf-8")
    assert '<div class="tracker-buy tracker-buy--cards">' in shown and "$75.00" in shown
    assert 'rel="sponsored noopener"' in shown and "{{<" not in shown
    dropped = (hugo_site / "public" / "plain" / "index.html").read_text(encoding="utf-8")
    assert "$75.00" not in dropped and "raw HTML omitted" in dropped


def test_inline_css_puts_the_sheet_in_each_box_only_when_asked() -> None:
    from tests.test_viewmodel import TEN, html_of
    from tracker.config import SiteSettings

    assert "<style" not in html_of(TEN)
    inline = html_of(TEN, site=SiteSettings(inline_css=True))
    assert inline.count("<style>") == 1 and ".tracker-offer__price{" in inline


def test_a_rendered_page_renders_again_to_the_same_bytes(site: Settings) -> None:  # noqa: F811
    """The stylesheet in the head marker holds no marker text: the output is a valid input."""
    assert render()[0] == 0
    once = site.out_dir / "cortexin-review.html"
    again = write(site, "again.html", once.read_text(encoding="utf-8"))
    code, output = render(str(again))
    assert code == 0, output
    assert (site.out_dir / "again.html").read_bytes() == once.read_bytes()
