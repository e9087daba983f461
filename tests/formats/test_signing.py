"""The signed official edition: PAdES signature with pyHanko, verification in Spanish, clear refusals."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from certificados import PASSWORD, make_ca, make_signer
from conftest import REPO, Project, _copy_project, pdf_failures, snapshot


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A throwaway CA and signers: valid, expired, and one whose key cannot sign."""
    folder = tmp_path_factory.mktemp("certificados")
    ca = make_ca(folder)
    return {
        "autoridad": ca[2],
        "valido": make_signer(folder, ca),
        "vencido": make_signer(folder, ca, "vencido", expired=True),
        "sin-firma": make_signer(folder, ca, "cifrado", can_sign=False),
    }


@pytest.fixture(scope="module")
def signed_plan(tmp_path_factory: pytest.TempPathFactory, shared_cache: Path, certs: dict[str, Path]) -> Path:
    """The real plan built and signed once, with the visible box on the colophon."""
    from imprenta import cli

    root = tmp_path_factory.mktemp("firmado")
    master = _copy_project(REPO, root, "fuente/plan.md")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IMPRENTA_CLAVE", PASSWORD)
        code = cli.main(["pdf", "--firmar", str(certs["valido"]), "--firma-visible", "--fuente", str(master),
                         "--salida", str(root / "salida"), "--cache", str(shared_cache),
                         "--plantillas", str(root / "plantillas"), "--silencioso"])
    assert code == 0
    return root / "salida/plan.pdf"


def _verify(pdf: Path, trust: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    from imprenta import cli

    capsys.readouterr()
    code = cli.main(["verificar", str(pdf), "--confianza", str(trust)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_signed_plan_verifies(signed_plan: Path, certs: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, log = _verify(signed_plan, certs["autoridad"], capsys)
    assert code == 0, log
    assert "firma de: María Quispe, AGETIC" in log
    assert "integridad: intacta" in log and "cambios posteriores: ninguno" in log
    assert "el certificado lleva a una autoridad de confianza" in log
    assert f"{signed_plan}: firma válida" in log


def test_untrusted_authority_is_not_valid(signed_plan: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = make_ca(tmp_path)[2]
    code, log = _verify(signed_plan, other, capsys)
    assert code == 1 and "NO lleva a una autoridad de confianza" in log and "la firma NO es válida" in log


def test_one_flipped_byte_breaks_the_signature(signed_plan: Path, certs: dict[str, Path], tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    data = bytearray(signed_plan.read_bytes())
    # A byte inside the first content stream: the file still parses, only the signed bytes changed.
    start = data.index(b"stream\n", 1000) + 7 + 20
    data[start] ^= 0x01
    tampered = tmp_path / "alterado.pdf"
    tampered.write_bytes(bytes(data))
    code, log = _verify(tampered, certs["autoridad"], capsys)
    assert code == 1, log
    assert "integridad: ROTA: el contenido cambió después de firmar" in log
    assert "la firma NO es válida" in log


def test_incremental_update_after_signing_is_reported(signed_plan: Path, certs: dict[str, Path], tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    updated = tmp_path / "actualizado.pdf"
    with signed_plan.open("rb") as handle, updated.open("wb") as out:
        writer = IncrementalPdfFileWriter(handle)
        writer.root["/PageMode"] = generic.NameObject("/UseNone")
        writer.update_root()
        writer.write(out)
    assert updated.read_bytes().startswith(signed_plan.read_bytes())  # an update appended, nothing rewritten
    code, log = _verify(updated, certs["autoridad"], capsys)
    assert code == 1, log
    assert "integridad: intacta" in log  # the signed revision itself is untouched...
    assert "cambios posteriores: SÍ: el archivo se modificó después de la firma" in log  # ...but more came after


def test_signed_pdf_is_still_pdfa_and_opens_in_poppler(signed_plan: Path, tmp_path: Path) -> None:
    with pikepdf.open(signed_plan) as pdf:
        meta = pdf.open_metadata()
        assert meta.get("pdfaid:part") == "3" and meta.get("pdfaid:conformance") == "A"
        assert "/OutputIntents" in pdf.Root and "/StructTreeRoot" in pdf.Root
        assert str(pdf.Root.AcroForm.Fields[0].FT) == "/Sig"
    info = subprocess.run(["pdfinfo", str(signed_plan)], capture_output=True, text=True)
    assert info.returncode == 0 and not info.stderr.strip(), info.stderr
    fonts = subprocess.run(["pdffonts", str(signed_plan)], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert sum("Imprenta-Sans" in row for row in rows) >= 2  # the stamp's text, in the template's own font too
    assert all(row.split()[-5] == "yes" for row in rows), fonts  # every font embedded, the stamp's too
    render = subprocess.run(["pdftoppm", "-r", "72", "-gray", "-f", "2", "-l", "2", "-png", str(signed_plan),
                             str(tmp_path / "colofon")], capture_output=True, text=True)
    assert render.returncode == 0 and not render.stderr.strip(), render.stderr
    page = Image.open(next(tmp_path.glob("colofon*.png")))
    # The stamp box (71-400 pt across, 71-141 pt from the top at 72 dpi) holds its border and text.
    box = page.crop((75, 75, 395, 137))
    dark = sum(box.histogram()[:128]) / (box.width * box.height)
    assert dark > 0.02, dark


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("clave", "la contraseña no es correcta o el archivo no es PKCS#12"),
        ("vencido", "venció el"),
        ("sin-firma", "no sirve para firmar: no tiene el uso «firma digital»"),
        ("falta", "no se encontró el certificado"),
    ],
)
def test_signing_errors_leave_the_unsigned_pdf_in_place(
    mini: Project, certs: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    case: str, expected: str,
) -> None:
    assert mini.run(capsys, "pdf").code == 0
    before = snapshot(mini.salida)
    cert = {"clave": certs["valido"], "vencido": certs["vencido"], "sin-firma": certs["sin-firma"],
            "falta": mini.root / "no-existe.p12"}[case]
    monkeypatch.setenv("IMPRENTA_CLAVE", "otra-clave" if case == "clave" else PASSWORD)
    run = mini.run(capsys, "pdf", "--firmar", str(cert))
    assert run.code == 1
    assert expected in run.log and "sugerencia:" in run.log
    assert snapshot(mini.salida) == before  # the unsigned PDF is still there, byte for byte


def test_password_is_never_taken_from_the_command_line(mini: Project, certs: dict[str, Path],
                                                       capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMPRENTA_CLAVE", raising=False)
    run = mini.run(capsys, "pdf", "--firmar", str(certs["valido"]))  # stdin is not a terminal under pytest
    assert run.code == 1
    assert "falta la contraseña del certificado" in run.log
    assert "defínala en la variable de entorno IMPRENTA_CLAVE" in run.log
    from imprenta.cli import parser

    assert not any("clave" in o or "password" in o for a in parser()._actions for o in a.option_strings)


def test_unsigned_pdf_is_reported(built_plan: Project, certs: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, log = _verify(built_plan.salida / "plan.pdf", certs["autoridad"], capsys)
    assert code == 1 and "no tiene firma digital" in log and "python build.py pdf --firmar" in log


def test_a_pdf_merged_from_chunks_is_signed_and_verifies(tmp_path: Path, shared_cache: Path, certs: dict[str, Path],
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """The signature goes on the file that pikepdf merged from chunks laid out in worker processes."""
    from imprenta import cli

    master = _copy_project(REPO, tmp_path, "fuente/plan.md")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IMPRENTA_CLAVE", PASSWORD)
        mp.setenv("IMPRENTA_PROCESOS", "2")
        code = cli.main(["pdf", "--firmar", str(certs["valido"]), "--firma-visible", "--fuente", str(master),
                         "--salida", str(tmp_path / "salida"), "--cache", str(tmp_path / "cache"),
                         "--plantillas", str(tmp_path / "plantillas")])
    assert code == 0
    assert "partes maquetadas" in capsys.readouterr().err
    code, log = _verify(tmp_path / "salida/plan.pdf", certs["autoridad"], capsys)
    assert code == 0, log
    assert "integridad: intacta" in log and "cambios posteriores: ninguno" in log


def test_a_signed_edition_is_still_pdf_a_3a_and_pdf_ua(built_plan: Project, signed_plan: Path, certs: dict[str, Path],
                                                      tmp_path: Path, shared_cache: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The signature field is tagged (a Form element with its description) and the XMP packet is kept whole."""
    from imprenta import cli

    monkeypatch.setenv("IMPRENTA_CLAVE", PASSWORD)
    assert cli.main(["pdf", "--firmar", str(certs["valido"]), "--fuente", str(built_plan.master),
                     "--salida", str(tmp_path / "salida"), "--cache", str(shared_cache),
                     "--plantillas", str(built_plan.root / "plantillas"), "--silencioso"]) == 0
    signed = tmp_path / "salida/plan.pdf"
    assert pdf_failures(signed) == []
    assert pdf_failures(signed_plan) == []  # and with the visible box, drawn in the template's font
    with pikepdf.open(signed) as pdf:
        field = pdf.Root.AcroForm.Fields[0]
        assert str(field.TU).startswith("Edición oficial") and "/V" in field  # described, and signed
