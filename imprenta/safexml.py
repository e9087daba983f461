"""The one way Imprenta parses XML it did not write (SVG, office parts): no DTD, no entities, no network."""

from __future__ import annotations

from pathlib import Path

from lxml import etree


def parser() -> etree.XMLParser:
    """A parser that resolves nothing and loads nothing; a new one per call, since lxml parsers are not shared
    safely between threads (the DOCX and the PDF render side by side)."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def fromstring(data: bytes) -> etree._Element:
    """Parse XML bytes safely."""
    return etree.fromstring(data, parser())


def parse(path: Path) -> etree._ElementTree:
    """Parse an XML file safely."""
    return etree.parse(str(path), parser())


class DoctypeError(ValueError):
    """XML that declares a DOCTYPE (and so, possibly, entities): office programs never write one."""


def fromstring_without_doctype(data: bytes) -> etree._Element:
    """Parse XML bytes safely and refuse any DOCTYPE, decided on the parsed document (whatever its encoding:
    a search of the bytes for "<!DOCTYPE" misses UTF-16)."""
    root = fromstring(data)
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise DoctypeError("declara un DOCTYPE")
    return root


def child(parent: etree._Element, tag: str, first: bool = True) -> etree._Element:
    """The parent's child with this tag, made when missing: first among the children (w:pPr in w:p, w:pStyle in
    w:pPr) or, with first=False, last (w:rPr in w:pPr, as the schema orders them)."""
    found = parent.find(tag)
    if found is None:
        found = etree.Element(tag)
        if first:
            parent.insert(0, found)
        else:
            parent.append(found)
    return found
