"""PDF/A-3a and PDF/UA-1 together: what WeasyPrint's tagged PDF/A-3a still lacks, added once the file is whole.

WeasyPrint writes the tags, the language, DisplayDocTitle and the PDF/A identification. Added here, on the
finished file (whole or merged from chunks, before a signature): the PDF/UA identification in the same XMP packet,
with the extension schema PDF/A asks for any property outside its own; and a Link structure element for every
link annotation WeasyPrint left outside the structure tree (links inside footnotes, which it floats to the foot
of the page).
"""

from __future__ import annotations

from typing import Any

UA_NAMESPACE = "http://www.aiim.org/pdfua/ns/id/"
UA_IDENTIFICATION = (
    f'<rdf:Description rdf:about="" xmlns:pdfuaid="{UA_NAMESPACE}" pdfuaid:part="1"/>'
    '<rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"'
    ' xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">'
    "<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType=\"Resource\">"
    "<pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>"
    f"<pdfaSchema:namespaceURI>{UA_NAMESPACE}</pdfaSchema:namespaceURI>"
    "<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>"
    "<pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType=\"Resource\">"
    "<pdfaProperty:name>part</pdfaProperty:name><pdfaProperty:valueType>Integer</pdfaProperty:valueType>"
    "<pdfaProperty:category>internal</pdfaProperty:category>"
    "<pdfaProperty:description>Indicates, which part of ISO 14289 standard is followed</pdfaProperty:description>"
    "</rdf:li></rdf:Seq></pdfaSchema:property></rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description>"
)


def identify_ua(pdf: Any) -> None:
    """Add the PDF/UA-1 identification (and its PDF/A extension schema) to the XMP packet, once."""
    import pikepdf

    xmp = pdf.Root.Metadata.read_bytes().decode("utf-8")
    if UA_NAMESPACE in xmp:
        return
    xmp = xmp.replace("</rdf:RDF>", UA_IDENTIFICATION + "</rdf:RDF>", 1)
    stream = pikepdf.Stream(pdf, xmp.encode("utf-8"))
    stream.Type, stream.Subtype = pikepdf.Name.Metadata, pikepdf.Name.XML
    pdf.Root.Metadata = pdf.make_indirect(stream)


def tag_stray_links(pdf: Any) -> None:
    """Nest every link annotation in a Link structure element (PDF/UA): the ones WeasyPrint left outside the tree,
    and the ones whose parent-tree entry is another element (a link that WeasyPrint tagged as its Span)."""
    import pikepdf
    from pikepdf import Array, Dictionary, Name

    root = pdf.Root.StructTreeRoot
    document = root.K[0] if isinstance(root.K, pikepdf.Array) else root.K
    nums = list(root.ParentTree.Nums)
    entries = {int(nums[i]): i + 1 for i in range(0, len(nums), 2)}  # key -> index of its value in nums
    next_key = int(root.get("/ParentTreeNextKey", max(entries, default=-1) + 1))

    def link(parent: Any, annotation: Any, page: Any) -> Any:
        element = pdf.make_indirect(Dictionary(
            Type=Name.StructElem, S=Name.Link, P=parent, Pg=page,
            K=Array([Dictionary(Type=Name.OBJR, Obj=annotation, Pg=page)]),
            Alt=annotation.get("/Contents", pikepdf.String("Enlace")),
        ))
        if not isinstance(parent.get("/K"), pikepdf.Array):
            parent.K = Array([parent.K] if "/K" in parent else [])
        parent.K.append(element)
        return element

    changed = False
    for page in pdf.pages:
        for annotation in page.obj.get("/Annots", ()):
            if annotation.get("/Subtype") != Name.Link:
                continue
            key = annotation.get("/StructParent")
            if key is None:
                nums += [next_key, link(document, annotation, page.obj)]
                annotation.StructParent = next_key
                next_key += 1
                changed = True
            elif int(key) in entries and nums[entries[int(key)]].get("/S") != Name.Link:
                holder = nums[entries[int(key)]]
                nums[entries[int(key)]] = link(holder, annotation, page.obj)
                changed = True
    if changed:
        root.ParentTree = pdf.make_indirect(Dictionary(Nums=Array(nums)))
        root.ParentTreeNextKey = next_key


def _elements(pdf: Any) -> list[Any]:
    """Every structure element, in document order (depth first, kids in order)."""
    import pikepdf

    found: list[Any] = []
    seen: set[tuple[int, int]] = set()

    def visit(node: Any) -> None:
        if isinstance(node, pikepdf.Array):
            for kid in node:
                visit(kid)
            return
        if not isinstance(node, pikepdf.Dictionary) or "/S" not in node:
            return
        if node.is_indirect:
            if node.objgen in seen:
                return
            seen.add(node.objgen)
        found.append(node)
        if "/K" in node:
            visit(node.K)

    visit(pdf.Root.StructTreeRoot.get("/K"))
    return found


def nest_headings(elements: list[Any]) -> None:
    """Headings one level at a time (PDF/UA): a source that goes from ## to #### is read as ## then ###. Only the
    structure changes; the page looks as the author wrote it."""
    import pikepdf

    previous = 0
    for element in elements:
        name = str(element.S)
        if len(name) == 3 and name.startswith("/H") and name[2].isdigit():
            level = min(int(name[2]), previous + 1)
            element.S = pikepdf.Name(f"/H{level}")
            previous = level


def list_item_bodies(pdf: Any, elements: list[Any]) -> None:
    """An LI holds only Lbl and LBody (PDF/UA): anything else WeasyPrint put in it goes into an LBody."""
    import pikepdf
    from pikepdf import Array, Dictionary, Name

    for element in elements:
        if element.S != Name.LI or "/K" not in element:
            continue
        kids = list(element.K) if isinstance(element.K, pikepdf.Array) else [element.K]
        stray = [k for k in kids if not (isinstance(k, pikepdf.Dictionary) and k.get("/S") in (Name.Lbl, Name.LBody))]
        if not stray:
            continue
        body = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.LBody, P=element, K=Array(stray)))
        for kid in stray:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                kid.P = body
        position = next(i for i, k in enumerate(kids) if any(k is s for s in stray))
        element.K = Array([k for k in kids[:position] if not any(k is s for s in stray)] + [body]
                          + [k for k in kids[position:] if not any(k is s for s in stray)])


def no_interpolation(pdf: Any) -> None:
    """PDF/A forbids images that ask viewers to interpolate them."""
    import pikepdf

    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == pikepdf.Name.Image and obj.get("/Interpolate"):
            obj.Interpolate = False


def no_carriage_return_before_endstream(path: Any) -> None:
    """A Flate stream whose last byte (its checksum's) is a carriage return reads, with the line feed the writer
    puts after it, as CR LF before `endstream`: PDF/A validators take that pair for the end-of-line marker and find
    the stream one byte short (1 stream in 256; Symbola's subset is one). A zero byte after the compressed data,
    which every inflater ignores, ends it otherwise. Done on the saved file: the merge copies streams from the
    chunks' files, not from memory. The writer makes object streams anew on every save: should one of them end so,
    the file is saved without object streams."""
    import pikepdf

    containers = (pikepdf.Name.ObjStm, pikepdf.Name.XRef)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        ending = [o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.read_raw_bytes().endswith(b"\r")]
        short = [o for o in ending if o.get("/Type") not in containers and o.get("/Filter") == pikepdf.Name.FlateDecode]
        if not ending:
            return
        for obj in short:
            extra = {"decode_parms": obj.DecodeParms} if "/DecodeParms" in obj else {}
            obj.write(obj.read_raw_bytes() + b"\x00", filter=pikepdf.Name.FlateDecode, **extra)
        mode = pikepdf.ObjectStreamMode.generate
        if any(o.get("/Type") in containers for o in ending):
            mode = pikepdf.ObjectStreamMode.disable
        pdf.save(path, deterministic_id=True, object_stream_mode=mode)
    if mode == pikepdf.ObjectStreamMode.generate:
        with pikepdf.open(path, allow_overwriting_input=True) as pdf:  # the object streams written just now
            if any(isinstance(o, pikepdf.Stream) and o.get("/Type") in containers
                   and o.read_raw_bytes().endswith(b"\r") for o in pdf.objects):
                pdf.save(path, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.disable)


def make_accessible(pdf: Any) -> None:
    """Everything PDF/A-3a and PDF/UA-1 ask beyond what WeasyPrint wrote (see the module's docstring)."""
    identify_ua(pdf)
    tag_stray_links(pdf)
    elements = _elements(pdf)
    nest_headings(elements)
    list_item_bodies(pdf, elements)
    no_interpolation(pdf)
