"""A DOCX made ready for pandoc's reader, and the inventory of what the original holds (to prove nothing is lost).

Word documents mark headings in ways pandoc does not all see: localised style names ("Título 1"), custom styles or
paragraphs that carry an outline level. Their own contents field and page-number fields make no sense in an
Imprenta edition, text boxes hold paragraphs and figures pandoc skips, and a REF field is a cross-reference pandoc
drops. Here each is turned into what pandoc reads (a heading style, the text box's paragraphs, a link), counted.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from lxml import etree

from .. import safexml

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
WPS = "{http://schemas.microsoft.com/office/word/2010/wordprocessingShape}"
WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
V = "{urn:schemas-microsoft-com:vml}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"

HEADING_NAME = re.compile(r"^(?:heading|t[ií]tulo|encabezado)\s*(\d)$", re.IGNORECASE)
TOC_NAME = re.compile(r"^(?:toc|tdc|contents|contenido|índice|indice)\s*(?:heading|\d)?\s*\d?$", re.IGNORECASE)
CAPTION_NAME = re.compile(r"^(?:caption|descripción|descripcion|epígrafe|epigrafe)$", re.IGNORECASE)
PAGE_FIELDS = {"PAGE", "NUMPAGES", "SECTIONPAGES"}


@dataclass
class Inventory:
    """What a document holds, counted the same way for the original and for the imported sources."""

    headings: Counter[int] = field(default_factory=Counter)  # level (1-9) -> count
    tables: int = 0
    merged_cells: int = 0
    footnotes: int = 0
    endnotes: int = 0
    images: Counter[str] = field(default_factory=Counter)  # format -> count
    captions: int = 0
    links: int = 0
    cross_references: int = 0
    empty_references: int = 0  # REF/PAGEREF fields whose result is empty: nothing to link
    comments: int = 0
    changes: int = 0
    # Only in the original: what the import drops or turns into something else, by design.
    contents_fields: int = 0
    page_fields: int = 0
    text_boxes: int = 0
    objects: int = 0  # charts, embedded OLE objects (Visio, Excel...)
    title_paragraphs: int = 0
    unimported: list[str] = field(default_factory=list)  # drawings with no picture to keep: kind and where
    numbered_headings: int = 0  # headings with Word's automatic numbers (1, 1.1, ...), which Imprenta does not print


@dataclass
class Styles:
    """Paragraph styles by id: name, parent and outline level (0-8, None)."""

    names: dict[str, str] = field(default_factory=dict)
    parents: dict[str, str] = field(default_factory=dict)
    levels: dict[str, int] = field(default_factory=dict)
    with_numbers: set[str] = field(default_factory=set)  # styles that carry list numbering (numPr)

    def numbered(self, style: str) -> bool:
        return any(each in self.with_numbers for each in self.chain(style))

    def chain(self, style: str) -> list[str]:
        seen: list[str] = []
        while style and style not in seen and len(seen) < 20:
            seen.append(style)
            style = self.parents.get(style, "")
        return seen

    def heading_level(self, style: str) -> int | None:
        """The heading level (1-9) a style gives as Word sees it: its outline level, or a heading name, inherited."""
        for each in self.chain(style):
            if self.names.get(each, "").lower() == "title":
                return None
            if each in self.levels:
                level = self.levels[each]
                return level + 1 if level < 9 else None
            found = HEADING_NAME.match(self.names.get(each, ""))
            if found:
                return int(found.group(1))
        return None

    def is_named(self, style: str, pattern: re.Pattern[str]) -> bool:
        return any(pattern.match(self.names.get(each, "")) for each in self.chain(style))


def read_styles(styles_xml: bytes | None) -> tuple[Styles, etree._Element | None]:
    styles = Styles()
    if not styles_xml:
        return styles, None
    root = safexml.fromstring(styles_xml)
    for style in root.iter(f"{W}style"):
        if style.get(f"{W}type") != "paragraph":
            continue
        sid = style.get(f"{W}styleId", "")
        name = style.find(f"{W}name")
        styles.names[sid] = name.get(f"{W}val", "") if name is not None else sid
        based = style.find(f"{W}basedOn")
        if based is not None:
            styles.parents[sid] = based.get(f"{W}val", "")
        if style.find(f"{W}pPr/{W}numPr") is not None:
            styles.with_numbers.add(sid)
        level = style.find(f"{W}pPr/{W}outlineLvl")
        if level is not None and (level.get(f"{W}val") or "").isdigit():
            styles.levels[sid] = int(level.get(f"{W}val"))
    return styles, root


def _style(paragraph: etree._Element) -> str:
    found = paragraph.find(f"{W}pPr/{W}pStyle")
    return found.get(f"{W}val", "") if found is not None else ""


def paragraph_level(paragraph: etree._Element, styles: Styles) -> int | None:
    direct = paragraph.find(f"{W}pPr/{W}outlineLvl")
    if direct is not None and (direct.get(f"{W}val") or "").isdigit():
        level = int(direct.get(f"{W}val"))
        return level + 1 if level < 9 else None
    return styles.heading_level(_style(paragraph))


def _text(element: etree._Element) -> str:
    return "".join(t.text or "" for t in element.iter(f"{W}t"))


def _instructions(runs: list[etree._Element]) -> str:
    return "".join(t.text or "" for run in runs for t in run.iter(f"{W}instrText")).strip()


def _fields(paragraph: etree._Element) -> list[tuple[str, list[etree._Element], list[etree._Element]]]:
    """The complex fields that begin and end in one paragraph, outermost first: (instruction, code runs, result runs)."""
    found = []
    stack: list[dict[str, list[etree._Element] | bool]] = []
    for run in paragraph.iter(f"{W}r"):
        char = run.find(f"{W}fldChar")
        kind = char.get(f"{W}fldCharType") if char is not None else None
        if kind == "begin":
            stack.append({"code": [run], "result": [], "separated": False})
            continue
        if not stack:
            continue
        top = stack[-1]
        if kind == "separate":
            top["code"].append(run)  # type: ignore[union-attr]
            top["separated"] = True
        elif kind == "end":
            stack.pop()
            found.append((_instructions(top["code"]), top["code"], top["result"], run))  # type: ignore[arg-type]
            for outer in stack:  # a nested field's runs belong to the outer one's code or result too
                (outer["result"] if outer["separated"] else outer["code"]).extend([*top["code"], *top["result"], run])  # type: ignore[union-attr]
        else:
            (top["result"] if top["separated"] else top["code"]).append(run)  # type: ignore[union-attr]
    return [(instr, code + [end], result) for instr, code, result, end in reversed(found)]


def contents_paragraphs(body: etree._Element, styles: Styles) -> set[etree._Element]:
    """The paragraphs of the document's own contents lists (of sections, figures or tables): in a contents sdt,
    styled as contents, or between a TOC field's start and end."""
    found: set[etree._Element] = set()
    inside = False
    for paragraph in body.iter(f"{W}p"):
        in_sdt = any((g := sdt.find(f"{W}sdtPr/{W}docPartObj/{W}docPartGallery")) is not None
                     and g.get(f"{W}val") == "Table of Contents" for sdt in paragraph.iterancestors(f"{W}sdt"))
        instructions = " ".join(t.text or "" for t in paragraph.iter(f"{W}instrText")).strip().upper()
        starts = instructions.startswith("TOC")
        ends = any(c.get(f"{W}fldCharType") == "end" for c in paragraph.iter(f"{W}fldChar"))
        if in_sdt or starts or inside or styles.is_named(_style(paragraph), TOC_NAME):
            found.add(paragraph)
            inside = (inside or starts) and not ends
    return found


def _remove(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is not None:
        parent.remove(element)


def parse_part(data: bytes, name: str) -> etree._Element:
    """An XML part of the document, refused by name when it is not plain XML as office programs write it."""
    from .officefile import OfficeFileError

    try:
        return safexml.fromstring_without_doctype(data)
    except safexml.DoctypeError as exc:
        raise OfficeFileError(f"{name} declara un DOCTYPE o entidades XML, que Word y LibreOffice nunca escriben: "
                              "no se abre", "el archivo fue manipulado; importe el documento original") from exc
    except etree.XMLSyntaxError as exc:
        raise OfficeFileError(f"{name} está dañado (no es XML válido: {exc})",
                              "ábralo en Word o LibreOffice para repararlo y guárdelo de nuevo") from exc


def prepare(members: dict[str, bytes], handling: str = "aceptar") -> tuple[dict[str, bytes], Inventory]:
    """The members of a DOCX rewritten for pandoc, and the inventory of the original (counted before rewriting)."""
    for name, data in members.items():
        if name.endswith((".xml", ".rels")):
            parse_part(data, name)  # every part checked before pandoc or LibreOffice sees it
    styles, styles_root = read_styles(members.get("word/styles.xml"))
    body = parse_part(members["word/document.xml"], "word/document.xml")
    inventory = count(body, members, styles, handling)
    _anchor_comments(body)
    inventory.unimported = _placeholders(body, styles)
    _unwrap_text_boxes(body)
    _float_images_out(body)
    _drop_contents(body, styles)
    _name_captions(styles, styles_root)
    _rewrite_fields(body)
    _mark_headings(body, styles, styles_root)
    out = dict(members)
    out["word/document.xml"] = etree.tostring(body, xml_declaration=True, encoding="UTF-8", standalone=True)
    if styles_root is not None:
        out["word/styles.xml"] = etree.tostring(styles_root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return out, inventory


def visible_text(paragraph: etree._Element, handling: str) -> str:
    """A paragraph's text once its tracked changes are accepted ("aceptar": what a reader sees now) or rejected
    ("rechazar": the text before them); a text box's paragraphs nested in it are left to themselves."""
    out = []
    for element in paragraph.iter(f"{W}t", f"{W}delText", f"{W}tab"):
        if next(element.iterancestors(f"{W}p"), None) is not paragraph:
            continue
        inserted = any(a.tag in (f"{W}ins", f"{W}moveTo") for a in element.iterancestors())
        deleted = element.tag == f"{W}delText" or any(a.tag == f"{W}moveFrom" for a in element.iterancestors())
        if (handling == "aceptar" and deleted) or (handling == "rechazar" and inserted):
            continue
        out.append("\t" if element.tag == f"{W}tab" else element.text or "")
    return "".join(out)


def count(body: etree._Element, members: dict[str, bytes], styles: Styles, handling: str = "aceptar") -> Inventory:
    """The inventory of the original document, with its tracked changes handled as asked."""
    inv = Inventory()
    rels = _relationships(members.get("word/_rels/document.xml.rels"))
    for paragraph in body.iter(f"{W}p"):
        if next(paragraph.iterancestors(f"{MC}Fallback"), None) is not None:
            continue  # the VML copy of a text box: counted once, in its modern form
        level = paragraph_level(paragraph, styles)
        style = _style(paragraph)
        if styles.names.get(style, "").lower() == "title":
            inv.title_paragraphs += 1
        elif level is not None and visible_text(paragraph, handling).strip() and not styles.is_named(style, TOC_NAME):
            inv.headings[level] += 1
            if paragraph.find(f"{W}pPr/{W}numPr") is not None or styles.numbered(style):
                inv.numbered_headings += 1
        if _is_caption(paragraph, styles) and visible_text(paragraph, handling).strip():
            inv.captions += 1
    modern = [el for el in body.iter() if next(el.iterancestors(f"{MC}Fallback"), None) is None]
    contents = contents_paragraphs(body, styles)
    inside_contents = {el for p in contents for el in p.iter()}
    inv.tables = sum(1 for el in modern if el.tag == f"{W}tbl")
    inv.merged_cells = sum(1 for el in modern if (el.tag == f"{W}gridSpan" and int(el.get(f"{W}val", "1") or 1) > 1)
                           or (el.tag == f"{W}vMerge" and el.get(f"{W}val") == "restart"))
    inv.footnotes = sum(1 for el in modern if el.tag == f"{W}footnoteReference")
    inv.endnotes = sum(1 for el in modern if el.tag == f"{W}endnoteReference")
    for el in modern:
        target = None
        if el.tag == f"{A}blip":
            target = rels.get(el.get(f"{R}embed", ""))
        elif el.tag == f"{V}imagedata":
            target = rels.get(el.get(f"{R}id", ""))
        if target:
            inv.images[target.rsplit(".", 1)[-1].lower()] += 1
    inv.links = sum(1 for el in modern if el.tag == f"{W}hyperlink" and el not in inside_contents)
    inv.comments = len(re.findall(rb"<w:comment\b", members.get("word/comments.xml", b"")))
    for name in ("word/document.xml", "word/footnotes.xml", "word/endnotes.xml"):
        inv.changes += len(re.findall(rb"<w:(?:ins|del|moveFrom|moveTo)\b[^>]*w:author", members.get(name, b"")))
    inv.contents_fields = sum(1 for el in modern if el.tag == f"{W}docPartGallery"
                              and el.get(f"{W}val") == "Table of Contents")
    inv.text_boxes = sum(1 for el in modern if el.tag == f"{WPS}txbx")
    inv.objects = sum(1 for el in modern if el.tag == f"{W}object") + sum(1 for name in members
                                                                           if name.startswith("word/charts/chart"))
    for paragraph in body.iter(f"{W}p"):
        if paragraph in contents:
            continue
        for instruction, _, result in _fields(paragraph):
            word = instruction.split()[0].upper() if instruction else ""
            if word in PAGE_FIELDS:
                inv.page_fields += 1
            elif word in ("REF", "PAGEREF") and not "".join(_text(run) for run in result).strip():
                inv.empty_references += 1
            elif word in ("REF", "PAGEREF"):
                inv.cross_references += 1
            elif word == "TOC" and not inv.contents_fields:
                inv.contents_fields += 1
    return inv


def _is_caption(paragraph: etree._Element, styles: Styles) -> bool:
    """A caption: a paragraph in a caption style with text, beside a table or a picture (or numbered by a SEQ field);
    body text typed in a caption style is not one."""
    if not styles.is_named(_style(paragraph), CAPTION_NAME) or not _text(paragraph).strip():
        return False
    if any((t.text or "").strip().upper().startswith("SEQ") for t in paragraph.iter(f"{W}instrText")):
        return True
    if paragraph.find(f".//{W}fldSimple[@{W}instr]") is not None and "SEQ" in (
            paragraph.find(f".//{W}fldSimple").get(f"{W}instr") or "").upper():
        return True
    for neighbour in (paragraph.getprevious(), paragraph.getnext()):
        if neighbour is not None and (neighbour.tag == f"{W}tbl" or neighbour.find(f".//{W}drawing") is not None
                                      or neighbour.find(f".//{W}pict") is not None):
            return True
    return False


def _relationships(xml: bytes | None) -> dict[str, str]:
    if not xml:
        return {}
    root = safexml.fromstring(xml)
    return {rel.get("Id", ""): rel.get("Target", "") for rel in root.iter(f"{RELS}Relationship")}


GRAPHIC_KINDS = {"chart": "un gráfico", "diagram": "un diagrama SmartArt", "wordprocessingShape": "una forma",
                  "wordprocessingGroup": "un grupo de formas", "wordprocessingCanvas": "un lienzo de dibujo"}


def _placeholders(body: etree._Element, styles: Styles) -> list[str]:
    """A drawing with no picture of its own (a chart, a SmartArt, a shape without text) is not lost in silence: a
    framed placeholder takes its place in the text, and the import names it and the section it was in."""
    found: list[str] = []
    section = "(antes del primer título)"
    for paragraph in list(body.iter(f"{W}p")):
        if next(paragraph.iterancestors(f"{MC}Fallback"), None) is not None:
            continue
        if paragraph_level(paragraph, styles) is not None and _text(paragraph).strip():
            section = _text(paragraph).strip()
        for drawing in list(paragraph.iter(f"{W}drawing")):
            if next(drawing.iterancestors(f"{MC}Fallback"), None) is not None or drawing.find(f".//{A}blip") is not None \
                    or drawing.find(f".//{W}txbxContent") is not None:
                continue
            data = drawing.find(f".//{A}graphicData")
            uri = data.get("uri", "") if data is not None else ""
            kind = next((name for key, name in GRAPHIC_KINDS.items() if uri.endswith(key)), "un objeto de dibujo")
            run = next(drawing.iterancestors(f"{W}r"), None)  # the run that holds it (and its VML copy, if any)
            if run is None or run.getparent() is None:
                continue
            text = etree.Element(f"{W}r")
            etree.SubElement(text, f"{W}t").text = (f"[Aquí el original tenía {kind} que no se pudo importar: "
                                                    "insértelo como imagen.]")
            run.addprevious(text)
            _remove(run)
            found.append(f"{kind} en «{section}»")
    return found


def _anchor_comments(body: etree._Element) -> None:
    """A comment Word placed at a point (a reference with no range) gets an empty range there: pandoc reads only
    comments that have one, and none may be dropped."""
    ranged = {el.get(f"{W}id") for el in body.iter(f"{W}commentRangeStart")}
    for reference in list(body.iter(f"{W}commentReference")):
        identifier = reference.get(f"{W}id")
        run = reference.getparent()
        if identifier in ranged or run is None or run.getparent() is None:
            continue
        run.addprevious(etree.Element(f"{W}commentRangeStart", {f"{W}id": identifier}))
        run.addprevious(etree.Element(f"{W}commentRangeEnd", {f"{W}id": identifier}))
        ranged.add(identifier)


def _unwrap_text_boxes(body: etree._Element) -> None:
    """A text box's paragraphs and tables, set after the paragraph that anchors it (its figure, its caption and its
    text become ordinary blocks); the VML copy Word keeps for old readers is dropped (it would come twice)."""
    for fallback in list(body.iter(f"{MC}Fallback")):
        _remove(fallback)
    for box in list(body.iter(f"{W}txbxContent")):
        anchor = next((p for p in box.iterancestors(f"{W}p")), None)
        if anchor is None:
            continue
        blocks = [child for child in box if child.tag in (f"{W}p", f"{W}tbl")]
        run = next((r for r in box.iterancestors(f"{W}r")), None)
        holder = anchor
        for block in blocks:
            holder.addnext(block)
            holder = block
        if run is not None and run.getparent() is not None:
            _remove(run)


def _float_images_out(body: etree._Element) -> None:
    """A floating picture anchored in a paragraph of text gets a paragraph of its own, right after that one (where a
    reader sees it, and where its caption follows): pandoc would leave it glued to the start of the text."""
    for anchor in list(body.iter(f"{WP}anchor")):
        if anchor.find(f".//{A}blip") is None:
            continue
        run = next(anchor.iterancestors(f"{W}r"), None)
        paragraph = next(anchor.iterancestors(f"{W}p"), None)
        if run is None or paragraph is None or not _text(paragraph).strip():
            continue
        alone = etree.Element(f"{W}p")
        paragraph.addnext(alone)
        alone.append(run)


def _name_captions(styles: Styles, styles_root: etree._Element | None) -> None:
    """Caption styles under other names ("Descripción", a style based on one) are named "caption", as pandoc reads."""
    if styles_root is None:
        return
    for sid in list(styles.names):
        if styles.is_named(sid, CAPTION_NAME) and styles.names[sid].lower() != "caption":
            element = styles_root.find(f"{W}style[@{W}styleId='{sid}']/{W}name")
            if element is not None:
                element.set(f"{W}val", "caption")


def _drop_contents(body: etree._Element, styles: Styles) -> None:
    """The document's own contents lists: Imprenta writes its own, with the pages of its edition."""
    for gallery in list(body.iter(f"{W}docPartGallery")):
        if gallery.get(f"{W}val") == "Table of Contents":
            sdt = next(gallery.iterancestors(f"{W}sdt"), None)
            if sdt is not None:
                _remove(sdt)
    for paragraph in contents_paragraphs(body, styles):
        _remove(paragraph)


def _rewrite_fields(body: etree._Element) -> None:
    """REF fields become links to their bookmark (pandoc drops them); page-number fields are dropped."""
    for paragraph in list(body.iter(f"{W}p")):
        for instruction, code, result in _fields(paragraph):
            words = instruction.split()
            name = words[0].upper() if words else ""
            if name in PAGE_FIELDS:
                for run in code + result:
                    _remove(run)
            elif name == "REF" and len(words) > 1 and code[0].getparent() is not None:
                link = etree.Element(f"{W}hyperlink", {f"{W}anchor": words[1]})
                code[0].addprevious(link)
                for run in result:
                    link.append(run)
                for run in code:
                    _remove(run)


def _mark_headings(body: etree._Element, styles: Styles, styles_root: etree._Element | None) -> None:
    """Every paragraph Word shows as a heading gets a style pandoc reads as one ("heading N"), without list numbers."""
    if styles_root is None:
        return
    by_name = {name.lower(): sid for sid, name in styles.names.items()}
    for sid, name in list(styles.names.items()):  # a localised heading name: pandoc knows only "heading N"
        found = HEADING_NAME.match(name)
        if found and name.lower() != f"heading {found.group(1)}" and f"heading {found.group(1)}" not in by_name:
            element = styles_root.find(f"{W}style[@{W}styleId='{sid}']/{W}name")
            if element is not None:
                element.set(f"{W}val", f"heading {found.group(1)}")
                by_name[f"heading {found.group(1)}"] = sid
                styles.names[sid] = f"heading {found.group(1)}"
    for paragraph in body.iter(f"{W}p"):
        level = paragraph_level(paragraph, styles)
        style = _style(paragraph)
        if level is None or not _text(paragraph).strip() or styles.is_named(style, TOC_NAME):
            continue
        if styles.names.get(style, "").lower() != f"heading {level}":
            target = by_name.get(f"heading {level}")
            if target is None:
                target = f"ImprentaTitulo{level}"
                new = etree.SubElement(styles_root, f"{W}style", {f"{W}type": "paragraph", f"{W}styleId": target})
                etree.SubElement(new, f"{W}name", {f"{W}val": f"heading {level}"})
                by_name[f"heading {level}"] = target
                styles.names[target] = f"heading {level}"
            safexml.child(safexml.child(paragraph, f"{W}pPr"), f"{W}pStyle").set(f"{W}val", target)
        properties = paragraph.find(f"{W}pPr")
        numbering = properties.find(f"{W}numPr") if properties is not None else None
        if numbering is not None:
            properties.remove(numbering)
