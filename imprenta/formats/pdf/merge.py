"""One PDF/A from the chunks laid out apart: pages, tags, destinations, links, bookmarks, page furniture.

The front matter's file is the base: it keeps its catalog (XMP metadata, output intent, language, viewer
preferences). The body chunks' pages are appended; their structure elements join the base's Document
element and their parent-tree entries are renumbered (pages first, then annotations, as WeasyPrint does).
Internal links left the chunks as `imprenta-ancla:` URIs and become named destinations of the whole file.
The furniture file ("Página X de Y") is laid over each page as an artifact (no tags, as in WeasyPrint).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from .accessibility import make_accessible, no_carriage_return_before_endstream
from .chunks import ANCHOR_SCHEME

FURNITURE = "/ImprentaPie"


@dataclass
class Attachment:
    """A file carried by the PDF/A-3 (associated file), dated from the metadata, not the clock."""

    name: str
    data: bytes
    description: str
    relationship: str  # "Source", "Alternative", ...
    mime: str
    stamp: datetime


def _pairs(array: Any) -> list[tuple[Any, Any]]:
    items = list(array)
    return list(zip(items[0::2], items[1::2]))


def _copier(pdf: Any) -> Any:
    """copy_foreign for any object: direct arrays and dictionaries are copied member by member."""
    import pikepdf

    def copy(obj: Any) -> Any:
        if isinstance(obj, pikepdf.Object) and obj.is_indirect:
            return pdf.copy_foreign(obj)
        if isinstance(obj, pikepdf.Array):
            return pikepdf.Array([copy(item) for item in obj])
        if isinstance(obj, pikepdf.Dictionary):
            return pikepdf.Dictionary({key: copy(value) for key, value in obj.items()})
        return obj

    return copy


def _outline(items: Any, copy: Any) -> list[Any]:
    import pikepdf

    out = []
    for item in items:
        destination = item.destination
        new = pikepdf.OutlineItem(str(item.title), copy(destination) if destination is not None else None)
        new.is_closed = item.is_closed
        new.children.extend(_outline(item.children, copy))
        out.append(new)
    return out


def _attach(pdf: Any, attachment: Attachment) -> Any:
    """The file spec WeasyPrint writes for PDF/A-3: embedded stream with size, checksum and dates."""
    import pikepdf
    from pikepdf import Dictionary, Name, String

    date = String(attachment.stamp.strftime("D:%Y%m%d%H%M%SZ"))
    stream = pikepdf.Stream(pdf, attachment.data)
    stream.Type = Name.EmbeddedFile
    stream.Subtype = Name("/" + attachment.mime)  # written /application#2Fzip, as PDF names escape "/"
    stream.Params = Dictionary(
        CheckSum=String(bytes.fromhex(hashlib.md5(attachment.data, usedforsecurity=False).hexdigest())),
        Size=len(attachment.data),
        CreationDate=date,
        ModDate=date,
    )
    return pdf.make_indirect(
        Dictionary(
            Type=Name.Filespec,
            F=String(attachment.name),
            UF=String(attachment.name),
            EF=Dictionary(F=pdf.make_indirect(stream)),
            Desc=String(attachment.description),
            AFRelationship=Name("/" + attachment.relationship),
        )
    )


def finish(single: Path, dest: Path, attachments: list[Attachment]) -> int:
    """A document laid out in one piece: only its attachments are added. Returns its number of pages."""
    import pikepdf

    with pikepdf.open(single) as pdf:
        _attach_all(pdf, attachments)
        make_accessible(pdf)
        pdf.save(dest, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        pages = len(pdf.pages)
    no_carriage_return_before_endstream(dest)
    return pages


def _attach_all(pdf: Any, attachments: list[Attachment]) -> None:
    from pikepdf import Array, Dictionary, String

    if not attachments:
        return
    specs = [_attach(pdf, a) for a in attachments]
    files = Array()
    for attachment, spec in sorted(zip(attachments, specs), key=lambda e: e[0].name.encode("utf-8")):
        files.extend([String(attachment.name), spec])
    if "/Names" not in pdf.Root:
        pdf.Root.Names = Dictionary()
    pdf.Root.Names.EmbeddedFiles = pdf.make_indirect(Dictionary(Names=files))
    pdf.Root.AF = Array(specs)


def merge(front: Path, bodies: list[Path], furniture: Path, dest: Path, attachments: list[Attachment]) -> int:
    """Write the whole document to `dest`; returns its number of pages."""
    import pikepdf
    from pikepdf import Array, Dictionary, String

    pdf = pikepdf.open(front)
    sources = [pdf] + [pikepdf.open(path) for path in bodies]
    try:
        root = pdf.Root.StructTreeRoot
        document = root.K[0]
        page_entries: list[tuple[int, Any]] = []
        annotation_entries: list[Any] = []  # struct elements of annotations, in order
        renumber: dict[tuple[int, int], int] = {}  # (first page of the chunk, old key) -> index among annotations
        destinations: dict[str, Any] = {}
        linked: set[str] = set()
        bookmarks: list[Any] = []
        total = sum(len(src.pages) for src in sources)
        for src in sources:
            base = 0 if src is pdf else len(pdf.pages)
            count = len(src.pages)
            if src is pdf:
                def copy(obj: Any) -> Any:
                    return obj
            else:
                pdf.pages.extend(src.pages)
                copy = _copier(pdf)  # one copy per object: references to the pages meet the copied pages
                for kid in src.Root.StructTreeRoot.K[0].K:
                    element = copy(kid)
                    element.P = document
                    document.K.append(element)
            for key, value in _pairs(src.Root.StructTreeRoot.ParentTree.Nums):
                if int(key) < count:
                    page_entries.append((base + int(key), copy(value)))
                else:
                    renumber[(base, int(key))] = len(annotation_entries)
                    annotation_entries.append(copy(value))
            # One pass over the chunk's annotations: parent-tree keys after the pages', links to destinations.
            for index in range(count):
                page = pdf.pages[base + index].obj
                page.StructParents = base + index
                for annotation in page.get("/Annots", ()):
                    if "/StructParent" in annotation:
                        annotation.StructParent = total + renumber[(base, int(annotation.StructParent))]
                    action = annotation.get("/A")
                    uri = str(action.get("/URI", "")) if action is not None else ""
                    if uri.startswith(ANCHOR_SCHEME):
                        name = unquote(uri[len(ANCHOR_SCHEME) :])
                        linked.add(name)
                        del annotation.A
                        annotation.Dest = annotation.Contents = String(name)
            if "/Names" in src.Root and "/Dests" in src.Root.Names:
                for name, target in _pairs(src.Root.Names.Dests.Names):
                    destinations.setdefault(str(name), copy(target))
            with src.open_outline() as outline:
                bookmarks.extend(_outline(outline.root, copy))

        nums: list[Any] = []
        for key, value in sorted(page_entries, key=lambda e: e[0]):
            nums += [key, value]
        for index, value in enumerate(annotation_entries):
            nums += [total + index, value]
        root.ParentTree = pdf.make_indirect(Dictionary(Nums=Array(nums)))
        root.ParentTreeNextKey = total + len(annotation_entries)

        if broken := linked - set(destinations):  # the assembler resolved every link: this would be a bug here
            raise ValueError(f"enlaces internos sin destino: {', '.join(sorted(broken))}")
        names: list[Any] = []
        for name in sorted(destinations, key=lambda n: n.encode("utf-8")):
            names += [String(name), destinations[name]]
        if "/Names" not in pdf.Root:
            pdf.Root.Names = Dictionary()
        pdf.Root.Names.Dests = pdf.make_indirect(Dictionary(Names=Array(names)))
        with pdf.open_outline() as outline:
            outline.root.clear()
            outline.root.extend(bookmarks)

        _lay_over(pdf, furniture)

        _attach_all(pdf, attachments)
        make_accessible(pdf)
        pdf.save(dest, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    finally:
        for src in sources:
            src.close()
    no_carriage_return_before_endstream(dest)
    return total


def _lay_over(pdf: Any, furniture: Path) -> None:
    """Draw each furniture page over the page of the same number, as an artifact."""
    import pikepdf
    from pikepdf import Dictionary

    with pikepdf.open(furniture) as over:
        if len(over.pages) != len(pdf.pages):
            raise ValueError(f"el pie tiene {len(over.pages)} páginas y el documento {len(pdf.pages)}")
        for page, source in zip(pdf.pages, over.pages):
            # Drawn as an artifact: none of its content may be marked as structure (PDF/UA).
            unmarked = [(operands, operator) for operands, operator in pikepdf.parse_content_stream(source)
                        if str(operator) not in ("BDC", "BMC", "EMC")]
            source.Contents = over.make_stream(pikepdf.unparse_content_stream(unmarked))
            form = pdf.copy_foreign(source.as_form_xobject())
            resources = Dictionary(dict(page.obj.Resources.items()))
            xobjects = Dictionary(dict(page.obj.Resources.get("/XObject", Dictionary()).items()))
            xobjects[FURNITURE] = form
            resources.XObject = xobjects
            page.obj.Resources = resources
            page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
            page.contents_add(pikepdf.Stream(pdf, b"\nQ\n/Artifact BMC q " + FURNITURE.encode() + b" Do Q EMC\n"))
