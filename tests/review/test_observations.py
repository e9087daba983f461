"""Returned DOCX files: comments, replies and tracked changes collected with their source file:line; hostile files refused."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
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
