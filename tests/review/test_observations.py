"""Returned DOCX files: comments, replies and tracked changes collected with their source file:line; hostile files refused."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from docx import Document as open_docx
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

from conftest import Project

W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
W15 = "http://schemas.microsoft.com/office/word/2012/wordml"


def _paragraph(doc, start: str):  # type: ignore[no-untyped-def]
    return next(p for p in doc.paragraphs if p.text.startswith(start))


def _tracked(paragraph, kind: str, ident: int, author: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """A tracked insertion at the end of a paragraph, or the deletion of the paragraph's last word, as Word writes them."""
    if kind == "del":  # the last word of the last run, deleted (text that was there: the sent copy had it)
        run = paragraph._p.findall(qn("w:r"))[-1]
        t = run.find(qn("w:t"))
        head, _, last = t.text.rpartition(" ")
        t.text = head
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        run.addnext(parse_xml(f'<w:del {nsdecls("w")} w:id="{ident}" w:author="{author}" w:date="2026-11-20T10:00:00Z">'
                              f'<w:r><w:delText xml:space="preserve"> {last}</w:delText></w:r></w:del>'))
        return
    inner = f'<w:t xml:space="preserve">{text}</w:t>'
    paragraph._p.append(parse_xml(
        f'<w:{kind} {nsdecls("w")} w:id="{ident}" w:author="{author}" w:date="2026-11-20T10:00:00Z"><w:r>{inner}</w:r></w:{kind}>'
    ))


def _add_reply(doc, parent, runs, text: str, author: str) -> None:  # type: ignore[no-untyped-def]
    """A reply the way Word 2013+ writes it: a comment on the same text, tied to its parent in commentsExtended.xml."""
    reply = doc.add_comment(runs, text=text, author=author, initials="RF")
    ids = []
    for index, comment in enumerate((parent, reply)):
        paragraph = comment._comment_elm.findall(qn("w:p"))[-1]
        ident = f"{0x1000 + 16 * index + comment.comment_id:08X}"
        paragraph.set(f"{{{W14}}}paraId", ident)
        ids.append(ident)
    blob = (f'<w15:commentsEx xmlns:w15="{W15}"><w15:commentEx w15:paraId="{ids[0]}" w15:done="0"/>'
            f'<w15:commentEx w15:paraId="{ids[1]}" w15:paraIdParent="{ids[0]}" w15:done="0"/></w15:commentsEx>').encode()
    part = Part(PackURI("/word/commentsExtended.xml"),
                "application/vnd.openxmlformats-officedocument.wordprocessingml.commentsExtended+xml", blob, doc.part.package)
    doc.part.relate_to(part, "http://schemas.microsoft.com/office/2011/relationships/commentsExtended")


def annotate(source: Path, dest: Path) -> None:
    """What an entity does in Word: two comments (one answered), one insertion and one deletion."""
    doc = open_docx(str(source))
    runs = _paragraph(doc, "Para el año 2022").runs
    parent = doc.add_comment(runs, text="Falta la fuente de este dato.", author="Ana Mamani", initials="AM")
    doc.add_comment(_paragraph(doc, "Marco normativo").runs, text="¿Incluir la Ley 1080?", author="Ana Mamani")
    _tracked(_paragraph(doc, "El Plan tiene como alcance"), "ins", 901, "Luis Choque", " y autónomo indígena")
    _tracked(_paragraph(doc, "Infraestructura disponible"), "del", 902, "Luis Choque", " (borrador)")
    _add_reply(doc, parent, runs, "De acuerdo, citar el INE.", "Rosa Flores")
    doc.save(str(dest))


@pytest.fixture(scope="module")
def returned(built_plan: Project, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three returned files: annotated in Word, the same round-tripped through LibreOffice, and one untouched."""
    folder = tmp_path_factory.mktemp("devueltos")
    annotate(built_plan.salida / "plan-revision.docx", folder / "plan-revision_ministerio-de-salud.docx")
    work = tmp_path_factory.mktemp("lo")
    subprocess.run(["soffice", "--headless", "--norestore", f"-env:UserInstallation={(work / 'perfil').as_uri()}",
                    "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(work),
                    str(folder / "plan-revision_ministerio-de-salud.docx")], check=True, capture_output=True, timeout=300)
    shutil.copy(work / "plan-revision_ministerio-de-salud.docx", folder / "plan-revision_gobernacion-de-oruro.docx")
    shutil.copy(built_plan.salida / "plan-revision.docx", folder / "plan-revision_ministerio-de-trabajo.docx")
    return folder


def _rows(project: Project) -> list[dict[str, str]]:
    text = (project.salida / "observaciones.csv").read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_every_observation_with_author_text_and_source_line(
    plan: Project, returned: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = plan.run(capsys, "observaciones", *map(str, sorted(returned.glob("*.docx"))))
    assert run.code == 0, run.log
    rows = _rows(plan)
    for entity in ("ministerio de salud", "gobernacion de oruro"):  # Word, and the same through LibreOffice
        mine = [(r["tipo"], r["autor"], r["texto"], r["fuente_en_su_version"], r["seccion"]) for r in rows
                if r["entidad"] == entity]
        if entity == "gobernacion de oruro":
            # LibreOffice 7.4 writes no commentsExtended.xml: the reply comes back as a comment on the same text.
            assert sorted(mine[:2]) == [
                ("comentario", "Ana Mamani", "Falta la fuente de este dato.", "fuente/plan.md:9",
                 "PARTE I - Aspectos generales › Visión"),
                ("comentario", "Rosa Flores", "De acuerdo, citar el INE.", "fuente/plan.md:9",
                 "PARTE I - Aspectos generales › Visión"),
            ]
            mine[:2] = sorted(mine[:2])
            mine[1] = ("respuesta", *mine[1][1:])
        # In the sources' order: the master, then the parts as it lists them (contexto, antecedentes).
        assert mine == [
            ("comentario", "Ana Mamani", "Falta la fuente de este dato.", "fuente/plan.md:9",
             "PARTE I - Aspectos generales › Visión"),
            ("respuesta", "Rosa Flores", "De acuerdo, citar el INE.", "fuente/plan.md:9",
             "PARTE I - Aspectos generales › Visión"),
            ("inserción", "Luis Choque", " y autónomo indígena", "fuente/plan.md:32",
             "PARTE I - Aspectos generales › Alcance del Plan"),
            ("eliminación", "Luis Choque", " disponible", "fuente/partes/contexto.md:15",
             "Contexto › El Gobierno Electrónico en el Estado Plurinacional › Infraestructura disponible"),
            ("comentario", "Ana Mamani", "¿Incluir la Ley 1080?", "fuente/partes/antecedentes.md:3",
             "Antecedentes › Marco normativo"),
        ], entity
    assert not [r for r in rows if r["entidad"] == "ministerio de trabajo"]
    reply = next(r for r in rows if r["tipo"] == "respuesta")
    assert reply["responde_a"] and reply["texto_anotado"].startswith("Para el año 2022")
    assert all(r["respuesta"] == "" and r["estado"] == "pendiente" for r in rows)
    assert all(r["estado_del_pasaje"] == "sin cambios" and r["fuente_actual"] == r["fuente_en_su_version"] for r in rows)
    report = (plan.salida / "observaciones.html").read_text(encoding="utf-8")
    assert "<h3>Antecedentes › Marco normativo</h3>" in report and "Respuesta del equipo" in report
    assert "<td>ministerio de salud</td><td>2</td><td>1</td><td>1</td><td>1</td><td>5</td><td>5</td>" in report

    # The same files again: nothing doubled, each said to be a duplicate.
    first = (plan.salida / "observaciones.csv").read_bytes()
    again = plan.run(capsys, "observaciones", *map(str, sorted(returned.glob("*.docx"))), expect_warnings=True)
    assert again.code == 0 and again.log.count("ya reunido: no se cuenta dos veces") == 3
    assert (plan.salida / "observaciones.csv").read_bytes() == first


def test_text_matching_when_bookmarks_are_lost(plan: Project, returned: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    source = returned / "plan-revision_ministerio-de-salud.docx"
    stripped = tmp_path / "plan-revision_sin-marcadores.docx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(stripped, "w") as zout:
        for entry in zin.infolist():
            data = zin.read(entry)
            if entry.filename == "word/document.xml":
                import re

                data = re.sub(rb"<w:bookmark(Start|End)[^>]*/>", b"", data)
            zout.writestr(entry, data)
    assert plan.run(capsys, "observaciones", str(stripped)).code == 0
    sources = [(r["tipo"], r["fuente_en_su_version"]) for r in _rows(plan)]
    assert ("comentario", "fuente/partes/antecedentes.md:3") in sources
    assert ("eliminación", "fuente/partes/contexto.md:15") in sources


def _zip(path: Path, parts: dict[str, bytes], level: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", level) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def test_hostile_files_are_refused_by_name_and_the_rest_still_collected(
    plan: Project, returned: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = returned / "plan-revision_ministerio-de-salud.docx"
    with zipfile.ZipFile(good) as z:
        base = {n: z.read(n) for n in z.namelist()}
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">'
              b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;">]><w:document xmlns:w="http://schemas.openxmlformats.org/'
              b'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>&lol3;</w:t></w:r></w:p></w:body></w:document>')
    external = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY secreto SYSTEM "file:///etc/passwd">]><w:document '
                b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r>'
                b'<w:t>&secreto;</w:t></w:r></w:p></w:body></w:document>')
    bad = {
        "bomba.docx": _zip(tmp_path / "bomba.docx", {**base, "word/document.xml": b" " * (20 * 1024 * 1024)}),
        "risas.docx": _zip(tmp_path / "risas.docx", {**base, "word/document.xml": laughs}),
        "externa.docx": _zip(tmp_path / "externa.docx", {**base, "word/document.xml": external}),
        "incompleto.docx": _zip(tmp_path / "incompleto.docx", {k: v for k, v in base.items() if k != "word/document.xml"}),
        "texto.docx": tmp_path / "texto.docx",
        "cortado.docx": tmp_path / "cortado.docx",
        "enorme.docx": tmp_path / "enorme.docx",
    }
    bad["texto.docx"].write_text("esto no es un docx\n", encoding="utf-8")
    bad["cortado.docx"].write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with bad["enorme.docx"].open("wb") as handle:
        handle.truncate(201 * 1024 * 1024)  # sparse: claims 201 MB without writing them
    run = plan.run(capsys, "observaciones", str(good), *map(str, bad.values()), expect_warnings=True)
    assert run.code == 0, run.log
    expected = {
        "bomba.docx": "parece una bomba ZIP",
        "risas.docx": "declara un DOCTYPE o entidades XML",
        "externa.docx": "declara un DOCTYPE o entidades XML",
        "incompleto.docx": "no es un DOCX completo: falta word/document.xml",
        "texto.docx": "no es un documento de Word ni de LibreOffice (DOCX u ODT)",
        "cortado.docx": "está dañado (su ZIP no se puede leer",
        "enorme.docx": "ocupa 201 MB; el máximo es 200 MB",
    }
    for name, message in expected.items():
        line = next((line for line in run.log.splitlines() if name in line and ": aviso: " in line), "")
        assert message in line, f"{name}: {line!r}\n{run.log}"
    assert len([line for line in run.log.splitlines() if "sugerencia:" in line]) >= len(expected)
    rows = _rows(plan)
    assert len(rows) == 5 and {r["entidad"] for r in rows} == {"ministerio de salud"}
    assert "root:" not in (plan.salida / "observaciones.csv").read_text(encoding="utf-8-sig")
    report = (plan.salida / "observaciones.html").read_text(encoding="utf-8")
    assert "No se pudieron leer: bomba.docx" in report


def test_unreadable_file_fails_in_strict_mode(plan: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "basura.docx"
    junk.write_bytes(b"no")
    run = plan.run(capsys, "observaciones", str(junk), "--estricto", expect_warnings=True)
    assert run.code == 1 and "basura.docx:1: aviso: no es un documento de Word ni de LibreOffice" in run.log
    assert not (plan.salida / "observaciones.csv").exists()


RETURNED_CORPUS = Path(__file__).resolve().parent.parent / "corpus/devueltos"


def _xml_holds(path: Path) -> dict[str, object]:
    """What a returned file's XML holds, counted directly: comments, and the text inserted, deleted and moved
    (in the body, notes, headers and footers)."""
    import re

    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        comments = len(re.findall(rb"<w:comment\b", archive.read("word/comments.xml"))) \
            if "word/comments.xml" in names else 0
        texts: dict[str, str] = {"ins": "", "del": "", "moveFrom": "", "moveTo": ""}
        for name in sorted(names):
            if not re.match(r"word/(document|footnotes|endnotes|header\d*|footer\d*)\.xml$", name):
                continue
            root = parse_xml(archive.read(name))
            for kind in texts:
                for change in root.iter(qn(f"w:{kind}")):
                    if change.getparent().tag == qn("w:rPr"):
                        continue  # a paragraph mark: collected apart
                    tag = qn("w:delText") if kind == "del" else qn("w:t")
                    texts[kind] += "".join(t.text or "" for t in change.iter(tag))
        marks = sum(len(re.findall(rb"<w:rPr>(?:(?!</w:rPr>).)*<w:(?:ins|del) ", archive.read(n), re.S))
                    for n in names if n == "word/document.xml")
    return {"comments": comments, **texts, "marks": marks}


def test_files_written_by_word_and_libreoffice_give_what_their_xml_holds(
        plan: Project, capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(RETURNED_CORPUS.glob("*.docx"))
    run = plan.run(capsys, "observaciones", *map(str, files), expect_warnings=True)
    assert run.code == 0, run.log
    assert run.log.count("no corresponde a ninguna versión enviada") == len(files)  # none is a copy of the plan
    rows = _rows(plan)
    for path in files:
        mine = [r for r in rows if r["archivo"] and r["entidad"] and r["fuente_actual"] == "" and
                r["version"] == "(desconocida)" and r["id"] and r["archivo"] == _digest(path)]
        holds = _xml_holds(path)
        got = {
            "comments": sum(1 for r in mine if r["tipo"] in ("comentario", "respuesta")),
            "ins": "".join(r["texto"] for r in mine if r["tipo"] == "inserción"),
            "del": "".join(r["texto"] for r in mine if r["tipo"] == "eliminación"),
            "moveFrom": "".join(r["texto"] for r in mine if r["tipo"] == "traslado (de aquí)"),
            "moveTo": "".join(r["texto"] for r in mine if r["tipo"] == "traslado (a aquí)"),
        }
        for key, value in got.items():
            assert value == holds[key], (path.name, key, value, holds[key])
        assert sum(1 for r in mine if r["tipo"] in ("párrafo dividido", "párrafos unidos")) >= holds["marks"], path.name
    # The thread of a reply Word wrote (commentsExtended.xml) is kept, and so is Word's "resolved" state.
    assert any(r["tipo"] == "respuesta" and r["responde_a"] for r in rows)


def _digest(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _lying_zip(path: Path, base: dict[str, bytes], inflated: int, claimed: int | None) -> Path:
    """A DOCX whose document.xml inflates to `inflated` bytes of zeros; with claimed, its headers (local and
    central) say it is only that many bytes."""
    import struct

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in base.items():
            if name != "word/document.xml":
                archive.writestr(name, data)
        with archive.open("word/document.xml", "w", force_zip64=False) as stream:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(inflated // len(chunk)):
                stream.write(chunk)
    if claimed is not None:
        data = bytearray(path.read_bytes())
        for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
            start = 0
            while (start := data.find(signature, start)) >= 0:
                name_at = start + (30 if signature == b"PK\x03\x04" else 46)
                length = struct.unpack_from("<H", data, start + (26 if signature == b"PK\x03\x04" else 28))[0]
                if data[name_at:name_at + length] == b"word/document.xml":
                    struct.pack_into("<I", data, start + offset, claimed)
                start += 4
        path.write_bytes(bytes(data))
    return path


def test_hostile_files_refused_by_cause_in_bounded_memory(plan: Project, returned: Path, tmp_path: Path) -> None:
    """Word's, POI's and crafted hostile files, each refused by name with its real cause, in a process whose
    address space is capped (ulimit -v): what is decompressed is bounded, whatever the headers say. The good file
    of the same run (one Word wrote, with comments) is still collected."""
    with zipfile.ZipFile(returned / "plan-revision_ministerio-de-salud.docx") as z:
        base = {n: z.read(n) for n in z.namelist()}
    good = RETURNED_CORPUS / "pandoc__test_docx_comments.docx"
    laughs = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]><w:document '
              'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>&a;'
              '</w:t></w:r></w:p></w:body></w:document>').encode("utf-16")
    crafted = {
        "miente.docx": _lying_zip(tmp_path / "miente.docx", base, 1700 * 1024 * 1024, claimed=2048),
        "bomba.docx": _lying_zip(tmp_path / "bomba.docx", base, 1700 * 1024 * 1024, claimed=None),
        "utf16.docx": _zip(tmp_path / "utf16.docx", {**base, "word/document.xml": laughs}),
    }
    hostile = sorted((RETURNED_CORPUS / "hostiles").glob("*.docx"))
    files = [good, *crafted.values(), *hostile]
    build = Path(__file__).resolve().parents[2] / "build.py"
    command = (f"ulimit -v {1_200_000}; cd {plan.root} && {sys.executable} {build} observaciones "
               + " ".join(f"'{f}'" for f in files) + f" --fuente {plan.master} --salida {plan.salida} "
               f"--plantillas {plan.root / 'plantillas'} --cache {plan.cache}")
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=600, env=os.environ)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    expected = {
        "miente.docx": "está dañado", "bomba.docx": "parece una bomba ZIP", "utf16.docx": "declara un DOCTYPE",
        "poi__test-data_document_bug53475-password-is-pass.docx": "está cifrado con contraseña",
        "poi__test-data_document_truncated62886.docx": "está dañado",
        "poi__test-data_document_ExternalEntityInText.docx": "declara un DOCTYPE",
        "poi__test-data_document_crash-517626e815e0afa9decd0ebb6d1dee63fb9907dd.docx": "está dañado",
    }
    for name in (p.name for p in hostile):
        expected.setdefault(name, "está dañado")
    for name, cause in expected.items():
        line = next((line for line in log.splitlines() if f"{name}:1: aviso:" in line), "")
        assert cause in line, (name, line, log[-3000:])
    assert "Traceback" not in log and "MemoryError" not in log
    assert {r["entidad"] for r in _rows(plan)} == {"pandoc test docx comments"}
    assert sum(1 for r in _rows(plan) if r["tipo"] in ("comentario", "respuesta")) == 5


def test_a_word_97_file_is_read_through_libreoffice(plan: Project, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    source = RETURNED_CORPUS / "pandoc__test_docx_comments.docx"
    subprocess.run(["soffice", "--headless", "--norestore", f"-env:UserInstallation={(tmp_path / 'perfil').as_uri()}",
                    "--convert-to", "doc", "--outdir", str(tmp_path), str(source)], check=True, capture_output=True,
                   timeout=300)
    legacy = tmp_path / f"{source.stem}.doc"
    assert legacy.read_bytes()[:4] == bytes.fromhex("d0cf11e0")  # a real Word 97-2003 (OLE2) file
    run = plan.run(capsys, "observaciones", str(legacy), expect_warnings=True)
    assert run.code == 0, run.log
    rows = [r for r in _rows(plan) if r["tipo"] in ("comentario", "respuesta")]
    assert len(rows) == _xml_holds(source)["comments"] and rows[0]["autor"]


def test_an_odt_saved_with_a_password_is_refused_as_encrypted(plan: Project, built_plan: Project, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    from conftest import uno

    locked = tmp_path / "plan-revision_con-clave.odt"
    uno("annotate", built_plan.salida / "plan-revision.docx", locked,
        {"autor": "Ana Mamani", "contraseña": "secreta", "acciones": [{"comentar": "Para el año", "texto": "Dato."}]})
    run = plan.run(capsys, "observaciones", str(locked), expect_warnings=True)
    assert run.code == 0
    assert "plan-revision_con-clave.odt:1: aviso: está cifrado con contraseña y no se puede leer" in run.log
