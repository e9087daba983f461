"""The word-level diff of two pandoc ASTs (changes.py), on small documents."""

from __future__ import annotations

import json
import subprocess

from imprenta.pandocast import parse_markdown
from imprenta.review.diff import Marker, compare
from imprenta.tools import pandoc_path


def _diff(old: str, new: str) -> tuple[str, Marker]:
    a, b = parse_markdown(old, "antes"), parse_markdown(new, "después")
    marker = Marker("prueba", "2026-11-24T12:00:00Z")
    b["blocks"] = compare(a["blocks"], b["blocks"], marker)
    text = subprocess.run([pandoc_path(), "-f", "json", "-t", "markdown", "--wrap=none"], input=json.dumps(b).encode(),
                          capture_output=True, check=True).stdout.decode()
    return text, marker


def test_words_punctuation_list_items_and_cells() -> None:
    text, marker = _diff(
        "# Uno\n\nEl plan tiene alcance central.\n\n- x\n- y\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        "# Uno\n\nEl plan tiene alcance central y municipal.\n\n- x\n- z\n- y\n\n| a | b |\n|---|---|\n| 1 | 3 |\n",
    )
    assert "central[ y municipal]{.insertion" in text  # the full stop stays unchanged
    assert "- [z]{.insertion" in text
    assert "[2]{.deletion" in text and "[3]{.insertion" in text
    assert (marker.insertions, marker.deletions) == (3, 1)


def test_a_changed_code_block_is_deleted_and_inserted_whole() -> None:
    text, marker = _diff("Texto.\n\n```\nviejo()\n```\n", "Texto.\n\n```\nnuevo()\n```\n")
    assert (marker.insertions, marker.deletions) == (1, 1)
    assert "viejo()" in text and "nuevo()" in text  # nothing lost: the old code is there as deleted


def test_unchanged_documents_have_no_changes() -> None:
    text, marker = _diff("# A\n\nB.\n", "# A\n\nB.\n")
    assert (marker.insertions, marker.deletions, marker.changed) == (0, 0, [])
    assert "insertion" not in text and "deletion" not in text


def test_deleted_images_leave_their_alt_text_at_any_depth() -> None:
    from imprenta.review.diff import without_images

    blocks = parse_markdown("# Título ![logo](a.png)\n\n[![icono](b.png)](https://example.org)\n\n![](c.png)\n", "x")["blocks"]
    text = json.dumps(without_images(blocks), ensure_ascii=False)
    assert '"Image"' not in text
    assert '"logo"' in text and '"icono"' in text and '"[imagen]"' in text


def test_rows_are_aligned_by_content_not_position() -> None:
    table = "| a | b |\n|---|---|\n| uno | 1 |\n| dos | 2 |\n| tres | 3 |\n"
    text, marker = _diff(table, "| a | b |\n|---|---|\n| uno | 1 |\n| nuevo | 9 |\n| dos | 2 |\n| tres | 3 |\n| cuatro | 4 |\n")
    # Two rows added, one in the middle and one at the end: each cell of theirs inserted, nothing else touched.
    assert (marker.insertions, marker.deletions) == (4, 0), text
    assert "[nuevo]{.insertion" in text and "[cuatro]{.insertion" in text
    text, marker = _diff(table, "| a | b |\n|---|---|\n| uno | 1 |\n| tres | 3 |\n")
    assert (marker.insertions, marker.deletions) == (0, 2) and "[dos]{.deletion" in text  # kept, marked deleted


def test_a_run_of_changed_words_is_one_phrase() -> None:
    text, marker = _diff("El Estado ya ha realizado inversiones.\n", "El Estado realizó hasta 2024 inversiones.\n")
    assert (marker.insertions, marker.deletions) == (1, 1), text
    assert "[ya ha realizado]{.deletion" in text and "[realizó hasta 2024]{.insertion" in text
    text, marker = _diff("Un plan claro y breve.\n", "Un plan claro y largo.\n")
    assert (marker.insertions, marker.deletions) == (1, 1) and "[breve]{.deletion" in text  # one word stays one word
