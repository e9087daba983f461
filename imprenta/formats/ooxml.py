"""Finishing touches on pandoc's DOCX with python-docx: filled contents, fields, properties, annotation mode."""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

from docx import Document as open_docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

from ..document import Heading
from ..source.metadata import Metadata
from .editable import CONTENTS_LEVELS, CONTENTS_MARKER, CONTENTS_TITLE

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CUSTOM_PROPS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
CUSTOM_PROPS_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
# Settings that must come after updateFields in CT_Settings (Word rejects elements out of schema order).
_AFTER_UPDATE_FIELDS = ("hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars", "rsids", "mathPr",
                        "attachedSchema", "themeFontLang", "clrSchemeMapping", "doNotIncludeSubdocsInStats",
                        "doNotAutoCompressPictures", "forceUpgrade", "captions", "readModeInkLockDown",
                        "smartTagType", "schemaLibrary", "shapeDefaults", "doNotEmbedSmartTags",
                        "decimalSymbol", "listSeparator")
_AFTER_PROTECTION = ("autoFormatOverride", "styleLockTheme", "styleLockQFSet", "defaultTabStop") + _AFTER_UPDATE_FIELDS
PROTECTION_SPIN_COUNT = 100_000


def bookmark_name(anchor: str) -> str:
    """The bookmark pandoc gives a heading: its anchor, or "X" and a SHA-1 when longer than Word's 40 characters."""
    return anchor if len(anchor) <= 40 else "X" + hashlib.sha1(anchor.encode("utf-8")).hexdigest()[1:]


def _run(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def contents_xml(headings: list[Heading]) -> str:
    """A TOC field whose result already lists the headings (levels 1-3) as links to their bookmarks.

    Word rebuilds it with page numbers when the file opens (updateFields); LibreOffice shows it as it is,
    without page numbers, since they depend on its own layout (Herramientas > Actualizar adds them).
    """
    begin = (
        '<w:r><w:fldChar w:fldCharType="begin" w:dirty="true"/></w:r>'
        f'<w:r><w:instrText xml:space="preserve"> TOC \\o "1-{CONTENTS_LEVELS}" \\h \\z \\u </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
    )
    paragraphs = [f'<w:p><w:pPr><w:pStyle w:val="TOCHeading"/></w:pPr>{_run(CONTENTS_TITLE)}</w:p>']
    for index, heading in enumerate(h for h in headings if h.level <= CONTENTS_LEVELS):
        link = f'<w:hyperlink w:anchor="{bookmark_name(heading.anchor)}" w:history="1">{_run(heading.text)}</w:hyperlink>'
        paragraphs.append(f'<w:p><w:pPr><w:pStyle w:val="TOC{heading.level}"/></w:pPr>{begin if index == 0 else ""}{link}</w:p>')
    if len(paragraphs) == 1:  # no heading at all: the field still opens and closes
        paragraphs.append(f"<w:p>{begin}</w:p>")
    paragraphs.append('<w:p><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')
    return (
        f'<w:sdt {nsdecls("w")}><w:sdtPr><w:docPartObj><w:docPartGallery w:val="Table of Contents"/>'
        f'<w:docPartUnique/></w:docPartObj></w:sdtPr><w:sdtContent>{"".join(paragraphs)}</w:sdtContent></w:sdt>'
    )


def _fill_contents(doc: Any, headings: list[Heading]) -> None:
    body = doc.element.body
    for paragraph in body.iterchildren(qn("w:p")):
        if CONTENTS_MARKER in "".join(t.text or "" for t in paragraph.iter(qn("w:t"))):
            paragraph.addprevious(parse_xml(contents_xml(headings)))
            body.remove(paragraph)
            return
    raise RuntimeError("falta la marca del índice en el DOCX de pandoc")


def _fill_title_fields(doc: Any, title: str) -> None:
    """The header's TITLE field shows the title before any update (LibreOffice reads the property, Word the result)."""
    for section in doc.sections:
        for part in (section.header, section.footer):  # first_page_header would be created by asking
            for field in part._element.iter(qn("w:fldSimple")):
                if field.get(qn("w:instr"), "").split()[:1] == ["TITLE"]:
                    texts = list(field.iter(qn("w:t")))
                    if texts:
                        texts[0].text = title


def _first(parent: Any, tag: str) -> Any:
    """The properties child (w:tcPr, w:rPr) of an element, added in first place when missing."""
    found = parent.find(qn(tag))
    if found is None:
        found = parse_xml(f"<{tag} {nsdecls('w')}/>")
        parent.insert(0, found)
    return found


def _table_headers(doc: Any, colours: Mapping[str, str]) -> None:
    """Header rows shaded and lettered directly: LibreOffice ignores the colour of a table style's first row."""
    fill, letters = colours["fondo_cabecera_tabla"], colours["texto_cabecera_tabla"]
    for row in doc.element.body.iter(qn("w:tr")):
        props = row.find(qn("w:trPr"))
        if props is None or props.find(qn("w:tblHeader")) is None:
            continue
        for cell in row.iterchildren(qn("w:tc")):
            _first(cell, "w:tcPr").append(parse_xml(f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" w:fill="{fill}"/>'))
            for run in cell.iter(qn("w:r")):
                run_props = _first(run, "w:rPr")
                run_props.append(parse_xml(f'<w:b {nsdecls("w")}/>'))
                run_props.append(parse_xml(f'<w:color {nsdecls("w")} w:val="{letters}"/>'))


def _custom_properties(doc: Any, values: Mapping[str, str]) -> None:
    """docProps/custom.xml holding exactly these properties (pandoc's own set is replaced)."""
    props = "".join(
        f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{pid}" name="{escape(name)}">'
        f"<vt:lpwstr>{escape(value)}</vt:lpwstr></property>"
        for pid, (name, value) in enumerate(values.items(), start=2)
    )
    blob = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Properties xmlns="{CUSTOM_PROPS}" xmlns:vt="{VT}">{props}</Properties>').encode()
    package = doc.part.package
    for rel in package.rels.values():
        if rel.reltype == RT.CUSTOM_PROPERTIES:
            rel.target_part._blob = blob
            return
    part = Part(PackURI("/docProps/custom.xml"), CUSTOM_PROPS_TYPE, blob, package)
    package.relate_to(part, RT.CUSTOM_PROPERTIES)


def _core_properties(doc: Any, meta: Metadata) -> None:
    core = doc.core_properties
    core.title = meta.titulo
    core.subject = meta.asunto
    core.author = meta.entidad
    core.last_modified_by = meta.entidad
    core.keywords = ", ".join(meta.palabras_clave)
    core.language = meta.idioma
    core.category = "Documento oficial"
    core.comments = meta.subtitulo
    core.created = core.modified = meta.stamp.replace(tzinfo=None)  # python-docx writes naive datetimes as UTC
    core.revision = 1


def _insert_setting(settings: Any, element: Any, before: tuple[str, ...]) -> None:
    """Put a settings element at its place in Word's schema order (replacing an existing one)."""
    for old in settings.findall(element.tag):
        settings.remove(old)
    for child in settings:
        if child.tag.startswith(f"{{{W}}}") and child.tag.split("}")[1] in before:
            child.addprevious(element)
            return
    settings.append(element)


def finish_docx(
    data: bytes, meta: Metadata, headings: list[Heading], custom: Mapping[str, str], colours: Mapping[str, str]
) -> bytes:
    """pandoc's DOCX with the contents filled, header title, properties and fields refreshed on opening in Word."""
    doc = open_docx(io.BytesIO(data))
    _fill_contents(doc, headings)
    _fill_title_fields(doc, meta.titulo)
    _table_headers(doc, colours)
    _core_properties(doc, meta)
    _custom_properties(doc, custom)
    settings = doc.settings.element
    _insert_setting(settings, parse_xml(f'<w:updateFields {nsdecls("w")} w:val="true"/>'), _AFTER_UPDATE_FIELDS)
    for lang in settings.findall(qn("w:themeFontLang")):
        lang.set(qn("w:val"), meta.idioma)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _protection_hash(password: str, salt: bytes) -> str:
    """Word's SHA-512 password hash for documentProtection (ECMA-376 agile hashing, 100 000 rounds)."""
    digest = hashlib.sha512(salt + password.encode("utf-16-le")).digest()
    for round_number in range(PROTECTION_SPIN_COUNT):
        digest = hashlib.sha512(digest + round_number.to_bytes(4, "little")).digest()
    return base64.b64encode(digest).decode("ascii")


def annotation_copy(data: bytes, password: str | None, salt_source: str) -> bytes:
    """The copy for entities: changes are tracked, and only tracked changes and comments are allowed."""
    doc = open_docx(io.BytesIO(data))
    settings = doc.settings.element
    _insert_setting(settings, parse_xml(f'<w:trackRevisions {nsdecls("w")}/>'),
                    ("doNotTrackMoves", "doNotTrackFormatting", "documentProtection") + _AFTER_PROTECTION)
    protection = f'<w:documentProtection {nsdecls("w")} w:edit="trackedChanges" w:enforcement="1"'
    if password:
        # The salt comes from the sources' digest, not from chance: the same sources give the same bytes.
        salt = hashlib.sha256(salt_source.encode("utf-8")).digest()[:16]
        protection += (f' w:algorithmName="SHA-512" w:hashValue="{_protection_hash(password, salt)}"'
                       f' w:saltValue="{base64.b64encode(salt).decode("ascii")}" w:spinCount="{PROTECTION_SPIN_COUNT}"')
    _insert_setting(settings, parse_xml(protection + "/>"), _AFTER_PROTECTION)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
