"""Nothing lost: after rendering, each output is read back and compared with the assembled document.

For every section (the content under each heading, in order) the document has so many tables, code blocks and
boxes (admonitions, abbreviations, tabs); each output must have at least as many in the same section, and every
heading, in order. The DOCX and the ODT are read from their XML; the PDF from its bookmarks (the headings), its
text (code blocks and box titles, in order) and its structure tree (tables). A shortfall stops the build before
anything is published, naming what went missing and the source line of its section.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .. import safexml
from ..document import Document, Heading
from ..errors import Location, Problems
from ..pandocast import Element, stringify
from ..templates.spec import BOX_CLASSES, NS, style_name

SOFT_HYPHEN = "\x02"  # what PDFium gives for a hyphen at the end of a line (see check_outputs)
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
KINDS = {"tables": ("tabla", "tablas"), "code": ("bloque de código", "bloques de código"), "boxes": ("recuadro", "recuadros")}


@dataclass
class Section:
    """What one section holds: the content from a heading to the next (index -1: before the first heading)."""

    tables: int = 0
    code: int = 0  # code blocks
    boxes: int = 0  # titled boxes
    code_runs: int = 0  # runs of code blocks one after the other (the ODT writes them as one run of paragraphs)


@dataclass
class Inventory:
    headings: list[str] = field(default_factory=list)
    sections: dict[int, Section] = field(default_factory=dict)
    code_texts: list[str] = field(default_factory=list)  # first line of each code block, in order
    box_titles: list[str] = field(default_factory=list)

    def section(self) -> Section:
        return self.sections.setdefault(len(self.headings) - 1, Section())


def _solid(text: str) -> str:
    """Text without any white space: a long code line wraps anywhere in the PDF."""
    return "".join(text.split())


def squeeze(text: str) -> str:
    """Text compared across formats: NFC, one space for any run of white space, hyphenation undone."""
    text = unicodedata.normalize("NFC", text).replace("\u00ad", "")
    text = re.sub(r"\u2010\s*\n(?=\w)", "", text)  # WeasyPrint hyphenates with U+2010; "-" is the author's
    return " ".join(text.split())


def expected(doc: Document) -> Inventory:
    """The document's own inventory, from its AST in reading order."""
    inventory = Inventory()

    def visit(blocks: list[Element]) -> None:
        previous_kind = None
        for block in blocks:
            kind = block.get("t")
            after_code, previous_kind = previous_kind == "CodeBlock", kind
            if kind == "Header":
                inventory.headings.append(squeeze(stringify(block["c"][2])))
            elif kind == "Table":
                inventory.section().tables += 1
            elif kind == "CodeBlock":
                inventory.section().code += 1
                inventory.section().code_runs += not after_code
                first = next((line for line in block["c"][1].split("\n") if line.strip()), "")
                if first:
                    inventory.code_texts.append(squeeze(first))
            if kind == "Div":
                classes = block["c"][0][1]
                title = next((b for b in block["c"][1] if b["t"] == "Div" and "titulo-caja" in b["c"][0][1]), None)
                if title is not None and any(c in BOX_CLASSES for c in classes):
                    inventory.section().boxes += 1
                    inventory.box_titles.append(squeeze(stringify(title["c"][1])))
                visit(block["c"][1])
            elif kind == "BlockQuote":
                visit(block["c"])
            elif kind in ("BulletList", "OrderedList"):
                for item in block["c"] if kind == "BulletList" else block["c"][1]:
                    visit(item)
            elif kind == "DefinitionList":
                for _, definitions in block["c"]:
                    for definition in definitions:
                        visit(definition)
            elif kind == "Figure":
                visit(block["c"][2])

    visit(doc.blocks)
    return inventory


def _docx(path: Path) -> Inventory:
    inventory = Inventory()
    with zipfile.ZipFile(path) as archive:
        body = safexml.fromstring(archive.read("word/document.xml")).find(f"{W}body")
    for element in body.iter(f"{W}p", f"{W}tbl"):
        if element.tag == f"{W}tbl":
            inventory.section().tables += 1
            continue
        style = element.find(f"{W}pPr/{W}pStyle")
        name = style.get(f"{W}val", "") if style is not None else ""
        if re.fullmatch(r"Heading[1-6]", name):
            # Deleted text counts too: the change edition marks deletions inside headings.
            inventory.headings.append(squeeze("".join(t.text or "" for t in element.iter(f"{W}t", f"{W}delText"))))
        elif name == "SourceCode":
            inventory.section().code += 1
        elif name == "RecuadroTítulo":
            inventory.section().boxes += 1
    return inventory


def _odt(path: Path) -> Inventory:
    inventory = Inventory()
    with zipfile.ZipFile(path) as archive:
        root = safexml.fromstring(archive.read("content.xml"))
    text = root.find("office:body/office:text", NS)
    parents = {s.get(f"{{{NS['style']}}}name"): s.get(f"{{{NS['style']}}}parent-style-name")
               for s in root.iterfind("office:automatic-styles/style:style", NS)}
    code_style, box_style = "Preformatted_20_Text", style_name("Recuadro Título")
    h, p, table = (f"{{{NS['text']}}}h", f"{{{NS['text']}}}p", "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}table")
    contents = f"{{{NS['text']}}}table-of-content"
    for element in text.iter(h, p, table):
        if any(a.tag == contents for a in element.iterancestors()):
            continue
        if element.tag == table:
            inventory.section().tables += 1
        elif element.tag == h:
            inventory.headings.append(squeeze("".join(element.itertext())))
        else:
            name = element.get(f"{{{NS['text']}}}style-name", "")
            name = parents.get(name) or name
            if name == code_style:
                before = element.getprevious()
                before_name = before.get(f"{{{NS['text']}}}style-name", "") if before is not None else ""
                inventory.section().code_runs += (parents.get(before_name) or before_name) != code_style
            elif name == box_style:
                inventory.section().boxes += 1
    return inventory


def _pdf(path: Path, read_text: bool) -> tuple[Inventory, str, int]:
    """The PDF's headings (bookmarks), its text (only when asked: it is what costs) and how many tables its
    structure tree holds."""
    import pikepdf

    inventory = Inventory()
    with pikepdf.open(path) as pdf:
        with pdf.open_outline() as outline:
            stack = list(outline.root)
            while stack:
                item = stack.pop(0)
                inventory.headings.append(squeeze(str(item.title)))
                stack[:0] = list(item.children)
        tables = 0
        seen: set[tuple[int, int]] = set()
        pending = [pdf.Root.StructTreeRoot]
        while pending:
            node = pending.pop()
            if not isinstance(node, pikepdf.Dictionary):
                if isinstance(node, pikepdf.Array):
                    pending.extend(node)
                continue
            if node.is_indirect:
                if node.objgen in seen:
                    continue
                seen.add(node.objgen)
            if node.get("/S") == "/Table":
                tables += 1
            kids = node.get("/K")
            if kids is not None:
                pending.append(kids)
    return inventory, squeeze(text_without_artifacts(path)) if read_text else "", tables


def text_without_artifacts(path: Path) -> str:
    """The PDF's text without what is drawn as an artifact (background, watermark, page furniture), in the order
    it is drawn, one line per text object. Read by PDFium, object by object: a text object inside a marked
    /Artifact section (or inside a drawing so marked) is left out. PDFium reads a long document in a second or
    two, where copying every page without its artifacts and running pdftotext took ten."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    name = (ctypes.c_ushort * 32)()
    size = ctypes.c_ulong()

    def artifact(obj: object) -> bool:
        for k in range(raw.FPDFPageObj_CountMarks(obj)):
            mark = raw.FPDFPageObj_GetMark(obj, k)
            if raw.FPDFPageObjMark_GetName(mark, name, ctypes.sizeof(name), ctypes.byref(size)) and \
                    bytes(name)[: max(0, size.value - 2)].decode("utf-16-le") == "Artifact":
                return True
        return False

    lines: list[str] = []
    document = pdfium.PdfDocument(str(path))
    try:
        for page in document:
            textpage = page.get_textpage()
            pending = [raw.FPDFPage_GetObject(page.raw, i) for i in range(raw.FPDFPage_CountObjects(page.raw))]
            while pending:
                obj = pending.pop(0)
                if artifact(obj):
                    continue
                kind = raw.FPDFPageObj_GetType(obj)
                if kind == raw.FPDF_PAGEOBJ_FORM:
                    pending[:0] = [raw.FPDFFormObj_GetObject(obj, i) for i in range(raw.FPDFFormObj_CountObjects(obj))]
                elif kind == raw.FPDF_PAGEOBJ_TEXT:
                    length = raw.FPDFTextObj_GetText(obj, textpage.raw, None, 0)
                    buffer = (ctypes.c_ushort * (length // 2 + 1))()
                    raw.FPDFTextObj_GetText(obj, textpage.raw, buffer, length)
                    lines.append(bytes(buffer)[: max(0, length - 2)].decode("utf-16-le", "replace"))
            textpage.close()
            page.close()
    finally:
        document.close()
    return "\n".join(lines)


def _where(doc: Document, section: int) -> tuple[Location, str]:
    if section < 0 or section >= len(doc.headings):
        return doc.master.location(1), "el principio del documento"
    heading: Heading = doc.headings[section]
    return heading.location, f"la sección «{heading.text}»"


def _missing_headings(want: list[str], have: list[str]) -> list[int]:
    """Indexes of the wanted headings not found in order among those the output has."""
    missing, cursor = [], 0
    for index, heading in enumerate(want):
        try:
            cursor = have.index(heading, cursor) + 1
        except ValueError:
            missing.append(index)
    return missing


def check_outputs(doc: Document, outputs: Mapping[str, Path], problems: Problems) -> None:
    """Compare each output with the document; every shortfall is an error at its section's source line."""
    want = expected(doc)
    for name, path in outputs.items():
        label = {"revision": "la copia para observaciones"}.get(name, f"el {name.upper()}")
        if name in ("docx", "revision", "odt"):
            have = _docx(path) if name != "odt" else _odt(path)
            _compare_sections(doc, want, have, label, problems, odt=name == "odt")
        elif name == "pdf":
            have, text, tables = _pdf(path, read_text=bool(want.code_texts or want.box_titles))
            total = sum(s.tables for s in want.sections.values())
            if tables < total:
                problems.error(doc.master.location(1), f"{label} tiene {tables} tablas y el documento {total}",
                               "salida.incompleta", "informe del error: una tabla se perdió al maquetar")
            # The text of a laid-out page does not keep reading order across boxes: counted, not sought in order.
            # PDFium gives a hyphen that ends a line as U+0002, whether the author wrote it (a code line broken
            # after "cmdb-") or the layout did (a word split in two): a piece is sought both ways.
            solids = (_solid(text.replace(SOFT_HYPHEN, "-")), _solid(text.replace(SOFT_HYPHEN, "")))
            for kind, texts in (("el bloque de código que empieza", want.code_texts),
                                ("el recuadro", want.box_titles)):
                for piece in sorted(set(texts)):
                    if max(solid.count(_solid(piece)) for solid in solids) < texts.count(piece):
                        problems.error(doc.master.location(1), f"falta en {label} {kind} «{piece[:60]}»",
                                       "salida.incompleta", "informe del error: ese contenido se perdió al maquetar")
        else:
            continue
        for index in _missing_headings(want.headings, have.headings):
            heading = doc.headings[index]
            problems.error(heading.location, f"falta en {label} el título «{heading.text}»", "salida.incompleta",
                           "informe del error: el título está en las fuentes pero no en la salida")


def _compare_sections(doc: Document, want: Inventory, have: Inventory, label: str, problems: Problems,
                      odt: bool) -> None:
    for index, section in sorted(want.sections.items()):
        got = have.sections.get(index, Section())
        counts = {"tables": (section.tables, got.tables), "boxes": (section.boxes, got.boxes),
                  "code": (section.code_runs, got.code_runs) if odt else (section.code, got.code)}
        for kind, (wanted, found) in counts.items():
            if found < wanted:
                at, where = _where(doc, index)
                singular, unit = KINDS[kind]
                problems.error(at, f"faltan en {label} {wanted - found} {unit if wanted - found > 1 else singular}"
                                   f" de {wanted} en {where}", "salida.incompleta",
                               "informe del error: ese contenido está en las fuentes pero no en la salida")
