"""The dialect rewritten for pandoc: what each construct becomes, and what is refused at its line."""

from __future__ import annotations

from pathlib import Path

from imprenta.document import SourceFile
from imprenta.errors import Problems
from imprenta.source.dialect import HTML_TOKEN, front_matter, rewrite


def _rewrite(tmp_path: Path, text: str) -> tuple[str, Problems, dict[str, tuple[str, int]]]:
    problems = Problems()
    result = rewrite(SourceFile(tmp_path / "docs/pagina.md", text), problems, tmp_path)
    return result.markdown, problems, result.html_blocks


def test_admonitions_alerts_and_tabs_become_titled_divs(tmp_path: Path) -> None:
    markdown, problems, _ = _rewrite(tmp_path, "\n".join([
        '!!! danger "Cuidado"', "    Cuerpo.", "", "    ```", "    código", "    ```", "",
        "> [!TIP]", "> Un consejo.", "", '=== "Uno"', "    Primera pestaña.", "", "Fuera.",
    ]))
    assert not problems.items
    assert "::::: {.admonicion .danger}" in markdown and "Cuidado" in markdown
    assert "```\ncódigo\n```" in markdown  # the body is dedented, its code fence intact
    assert "::::: {.admonicion .tip}" in markdown and "Consejo" in markdown and "> " not in markdown
    assert "::::: {.pestana}" in markdown and "Primera pestaña." in markdown
    assert markdown.rstrip().endswith("Fuera.")


def test_code_fences_are_left_alone(tmp_path: Path) -> None:
    text = "```\n!!! note\n    no es una nota\n*[X]: tampoco\n```\n"
    markdown, _, _ = _rewrite(tmp_path, text)
    assert markdown == text


def test_front_matter_is_metadata_never_text(tmp_path: Path) -> None:
    text = "---\ntitle: Oculto\n---\n\n# Título\n"
    markdown, _, _ = _rewrite(tmp_path, text)
    assert "Oculto" not in markdown and markdown.split("\n")[4] == "# Título"  # lines keep their numbers
    assert front_matter(text) == {"title": "Oculto"}  # a master's title when there is no metadatos.toml


def test_html_blocks_are_cut_out_and_unsafe_snippets_refused(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path.parent / "fuera.md").write_text("secreto", encoding="utf-8")
    markdown, problems, html = _rewrite(tmp_path, "\n".join([
        "Texto.", "", "<table>", "<tr><td>a</td></tr>", "</table>", "", '--8<-- "../fuera.md"',
    ]))
    token = next(iter(html))
    assert token.startswith(HTML_TOKEN) and token in markdown
    assert html[token] == ("<table>\n<tr><td>a</td></tr>\n</table>", 3)
    assert [p.render().split("\n")[0] for p in problems.items] == [
        f"{tmp_path}/docs/pagina.md:7: error: fragmento incluido fuera del proyecto: ../fuera.md [dialecto.fragmento]"]
    assert "secreto" not in markdown
