"""The ODT edition of the plan: SVG images inside, contents filled, identity in its styles and metadata,
and how LibreOffice lays it out."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from lxml import etree

from conftest import Project, page_texts
from plan_facts import META, check_libreoffice_layout, plan_headings

NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
    "dc": "http://purl.org/dc/elements/1.1/",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "xlink": "http://www.w3.org/1999/xlink",
}


def _part(built_plan: Project, name: str) -> etree._Element:
    with zipfile.ZipFile(built_plan.salida / "plan.odt") as z:
        return etree.fromstring(z.read(name))


def test_odt_package_holds_svg_images(built_plan: Project) -> None:
    with zipfile.ZipFile(built_plan.salida / "plan.odt") as z:
        names = z.namelist()
        assert names[0] == "mimetype" and z.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
        assert z.read("mimetype") == b"application/vnd.oasis.opendocument.text"
        manifest = z.read("META-INF/manifest.xml").decode()
    pictures = [n for n in names if n.startswith("Pictures/")]
    # The WMF (as cropped SVG), the timeline SVG, the cover's emblem and the header's: all vector, none rasterised.
    assert pictures and all(n.endswith(".svg") for n in pictures), pictures
    assert len(pictures) >= 3
    for picture in pictures:
        assert f'manifest:full-path="{picture}"' in manifest
    content = _part(built_plan, "content.xml")
    frames = content.findall(".//draw:image", NS)
    assert len(frames) == 3  # cover emblem and the two figures
    assert all(f.get(f"{{{NS['xlink']}}}href") in pictures for f in frames)


def test_odt_contents_is_filled_with_live_page_numbers(built_plan: Project) -> None:
    content = _part(built_plan, "content.xml")
    toc = content.find(".//text:table-of-content", NS)
    assert toc is not None
    entries = toc.findall("text:index-body/text:p", NS)
    expected = [(level, text, anchor) for level, text, anchor in plan_headings() if level <= 3]
    assert len(entries) == len(expected)
    for entry, (level, text, anchor) in zip(entries, expected):
        assert entry.get(f"{{{NS['text']}}}style-name") == f"Contents_20_{level}"
        link = entry.find("text:a", NS)
        assert link.get(f"{{{NS['xlink']}}}href") == f"#{anchor}"
        assert link.text == text
        assert link.find("text:bookmark-ref", NS).get(f"{{{NS['text']}}}ref-name") == anchor
    bookmarks = {b.get(f"{{{NS['text']}}}name") for b in content.iter(f"{{{NS['text']}}}bookmark-start")}
    assert {anchor for _, _, anchor in expected} <= bookmarks


def test_odt_identity_styles_header_footer_and_metadata(built_plan: Project) -> None:
    styles = _part(built_plan, "styles.xml")
    layout = styles.find(".//style:page-layout-properties", NS)
    assert (layout.get(f"{{{NS['fo']}}}page-width"), layout.get(f"{{{NS['fo']}}}page-height")) == ("21.0cm", "29.7cm")
    heading = styles.find(".//style:style[@style:name='Heading_20_1']/style:text-properties", NS)
    assert heading.get(f"{{{NS['fo']}}}color") == "#007934"
    standard = styles.find(".//style:master-page[@style:name='Standard']", NS)
    header, footer = standard.find("style:header", NS), standard.find("style:footer", NS)
    assert header.find(".//text:title", NS) is not None and header.find(".//draw:image", NS) is not None
    assert footer.find(".//text:page-number", NS) is not None and footer.find(".//text:page-count", NS) is not None
    assert styles.find(".//style:master-page[@style:name='Portada']", NS) is not None
    meta = _part(built_plan, "meta.xml").find("office:meta", NS)
    assert meta.findtext("dc:title", namespaces=NS) == META["titulo"]
    assert meta.findtext("dc:language", namespaces=NS) == "es-BO"
    assert meta.findtext("meta:initial-creator", namespaces=NS) == META["entidad"]
    assert [k.text for k in meta.findall("meta:keyword", NS)] == META["palabras_clave"]
    assert meta.findtext("meta:creation-date", namespaces=NS) == f"{META['fecha'].isoformat()}T12:00:00Z"
    custom = {u.get(f"{{{NS['meta']}}}name"): u.text for u in meta.findall("meta:user-defined", NS)}
    assert custom["version"] == META["version"] and custom["estado"] == META["estado"]


def test_libreoffice_lays_out_the_odt(plan_in_libreoffice: dict[str, Path], tmp_path: Path) -> None:
    pdf = plan_in_libreoffice["odt"]
    check_libreoffice_layout(pdf, tmp_path)
    pages = [" ".join(p.split()) for p in page_texts(pdf)]
    # LibreOffice computes each entry's page: "Antecedentes" is listed with the page where it really starts.
    start = next(i for i, text in enumerate(pages) if i > 1 and text.split("Página")[0].find("Antecedentes Marco normativo") >= 0)
    assert re.search(rf"Antecedentes[ .]*{start + 1}\b", pages[1]), pages[1]
    assert "Ejes y objetivos" in " ".join(pages)  # the WMF's words, kept as text in its SVG
