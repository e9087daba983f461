"""Digital signature of the official PDF (PAdES with pyHanko) and its verification, explained in Spanish."""

from __future__ import annotations

import datetime as dt
import getpass
import io
import logging
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import ConfigError, ImprentaError
from ...publish import atomic_write
from .accessibility import no_carriage_return_before_endstream

log = logging.getLogger(__name__)

PASSWORD_VARIABLE = "IMPRENTA_CLAVE"
FIELD_NAME = "FirmaOficial"
REASON = "Edición oficial"
# The visible box, in points from the bottom left of the colophon page (A4): the top of the text area.
STAMP_PAGE = 1  # 0-based: the colophon, on the back of the cover
STAMP_BOX = (71, 701, 400, 771)


@dataclass
class Credentials:
    """A PKCS#12 certificate checked before anything is built: readable, current, allowed to sign."""

    path: Path
    password: bytes
    subject: str
    not_after: dt.datetime
    name: str = ""  # the certificate's common name, as the visible box prints it


def read_password(path: Path) -> bytes:
    """The certificate's password: from IMPRENTA_CLAVE, or asked at the terminal; never from the command line."""
    value = os.environ.get(PASSWORD_VARIABLE)
    if value is not None:
        return value.encode("utf-8")
    if sys.stdin.isatty():
        return getpass.getpass(f"Contraseña del certificado {path.name}: ").encode("utf-8")
    raise ConfigError(
        f"falta la contraseña del certificado {path}",
        f"defínala en la variable de entorno {PASSWORD_VARIABLE}, o ejecute la orden en una terminal para que se la pida",
    )


def check_certificate(path: Path, password: bytes, now: dt.datetime | None = None) -> Credentials:
    """Open the PKCS#12 file and refuse, with a clear reason, what cannot make a valid signature."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import pkcs12

    if not path.is_file():
        raise ConfigError(f"no se encontró el certificado {path}", "indique la ruta del archivo .p12 o .pfx de la entidad")
    try:
        key, cert, _ = pkcs12.load_key_and_certificates(path.read_bytes(), password)
    except ValueError as exc:
        raise ConfigError(
            f"no se pudo abrir el certificado {path.name}: la contraseña no es correcta o el archivo no es PKCS#12",
            f"compruebe la contraseña ({PASSWORD_VARIABLE}) y que el archivo sea el .p12 exportado con su clave privada",
        ) from exc
    if key is None or cert is None:
        raise ConfigError(f"el archivo {path.name} no contiene una clave privada y su certificado",
                          "exporte el certificado con su clave privada (PKCS#12)")
    now = now or dt.datetime.now(dt.UTC)
    subject = cert.subject.rfc4514_string()
    if now < cert.not_valid_before_utc:
        raise ConfigError(f"el certificado de {subject} aún no es válido: lo será desde el {cert.not_valid_before_utc:%d/%m/%Y}",
                          "espere a esa fecha o use otro certificado")
    if now > cert.not_valid_after_utc:
        raise ConfigError(f"el certificado de {subject} venció el {cert.not_valid_after_utc:%d/%m/%Y}",
                          "renueve el certificado ante la entidad certificadora")
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is None or not (usage.digital_signature or usage.content_commitment):
        raise ConfigError(f"el certificado de {subject} no sirve para firmar: no tiene el uso «firma digital»",
                          "use el certificado de firma de la entidad, no uno de cifrado o de servidor")
    names = cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)
    name = str(names[0].value) if names else subject
    return Credentials(path=path, password=password, subject=subject, not_after=cert.not_valid_after_utc, name=name)


def sign_pdf(pdf: Path, credentials: Credentials, signer_name: str, visible: bool, templates_dir: Path) -> None:
    """Sign pdf in place as an incremental update (PAdES baseline B-B): earlier bytes, PDF/A identification kept."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = signers.SimpleSigner.load_pkcs12(str(credentials.path), passphrase=credentials.password)
    if signer is None:
        raise ImprentaError(f"pyHanko no pudo leer el certificado {credentials.path.name}")
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME, md_algorithm="sha256", reason=REASON, location="Bolivia",
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    stamp = None
    if visible:
        when = dt.datetime.now(dt.UTC).strftime("%d/%m/%Y %H:%M:%S UTC")
        stamp = [f"Firmado digitalmente por: {credentials.name}", f"En nombre de: {signer_name}", f"Fecha: {when}",
                 f"Motivo: {REASON}"]
    # The field is made first, tagged and described as PDF/UA asks, and the box drawn in the page with the template's
    # font (pyHanko's own appearance embeds fonts PDF/A validators refuse); pyHanko then signs that field.
    data = io.BytesIO(_tagged_field(pdf, stamp, templates_dir))
    writer = IncrementalPdfFileWriter(data)
    # pyHanko rewrites the XMP packet on its own terms, which breaks the PDF/UA extension schema PDF/A asks for:
    # the packet is kept as it is (the signature dates itself).
    writer._update_meta = lambda: None  # type: ignore[method-assign]
    out = io.BytesIO()
    signers.PdfSigner(meta, signer=signer).sign_pdf(writer, output=out)
    atomic_write(pdf, out.getvalue())


def _stamp_form(doc: Any, lines: list[str], templates_dir: Path) -> Any:
    """The visible box, laid out by WeasyPrint in the template's font, as a form XObject of doc (no marked content:
    it is drawn as an artifact; the field's description says it to a screen reader)."""
    import html
    import tempfile

    import pikepdf
    import weasyprint

    width, height = STAMP_BOX[2] - STAMP_BOX[0], STAMP_BOX[3] - STAMP_BOX[1]
    fonts = "".join(f'@font-face {{ font-family: "Imprenta Sans"; src: url(fuentes/LiberationSans-{v}.ttf);{w} }}'
                    for v, w in (("Regular", ""), ("Bold", " font-weight: bold;")))
    page = (f"<html><head><style>{fonts} @page {{ size: {width}pt {height}pt; margin: 0 }} "
            "body { margin: 0; font: 8.5pt/1.35 'Imprenta Sans'; border: 1pt solid #000; height: 100vh; "
            "box-sizing: border-box; padding: 5pt 7pt; }</style></head><body>"
            + "<br>".join(html.escape(line) for line in lines) + "</body></html>")
    with tempfile.TemporaryDirectory(prefix="imprenta-sello-") as tmp:
        drawn = Path(tmp) / "sello.pdf"
        weasyprint.HTML(string=page, base_url=templates_dir.as_uri() + "/").write_pdf(drawn)
        with pikepdf.open(drawn) as stamp:
            source = stamp.pages[0]
            unmarked = [(o, op) for o, op in pikepdf.parse_content_stream(source) if str(op) not in ("BDC", "BMC", "EMC")]
            source.Contents = stamp.make_stream(pikepdf.unparse_content_stream(unmarked))
            return doc.copy_foreign(source.as_form_xobject())


def _tagged_field(pdf: Path, stamp: list[str] | None, templates_dir: Path) -> bytes:
    """The PDF with an empty signature field on the colophon: a zero-sized widget with a description (/TU) nested
    in a Form structure element; with the visible box, the box drawn on the page, above the field's place."""
    import pikepdf
    from pikepdf import Array, Dictionary, Name, String

    with pikepdf.open(pdf) as doc:
        page = doc.pages[STAMP_PAGE].obj
        root = doc.Root.StructTreeRoot
        document = root.K[0] if isinstance(root.K, pikepdf.Array) else root.K
        nums = list(root.ParentTree.Nums)
        key = int(root.get("/ParentTreeNextKey", max((int(k) for k in nums[0::2]), default=-1) + 1))
        field = doc.make_indirect(Dictionary(
            Type=Name.Annot, Subtype=Name.Widget, FT=Name.Sig, T=String(FIELD_NAME),
            TU=String(f"{REASON}: firma digital del documento"), F=132, P=page,
            Rect=Array([0, 0, 0, 0]), StructParent=key,
        ))
        form = doc.make_indirect(Dictionary(
            Type=Name.StructElem, S=Name.Form, P=document, Pg=page,
            K=Array([Dictionary(Type=Name.OBJR, Obj=field, Pg=page)]),
            Alt=String(f"{REASON}: firma digital del documento"),
        ))
        if not isinstance(document.get("/K"), pikepdf.Array):
            document.K = Array([document.K])
        document.K.append(form)
        root.ParentTree = doc.make_indirect(Dictionary(Nums=Array([*nums, key, form])))
        root.ParentTreeNextKey = key + 1
        page.Annots = Array([*page.get("/Annots", Array()), field])
        doc.Root.AcroForm = Dictionary(Fields=Array([field]), SigFlags=3)
        if stamp is not None:
            resources = Dictionary(dict(page.Resources.items()))
            xobjects = Dictionary(dict(page.Resources.get("/XObject", Dictionary()).items()))
            xobjects["/ImprentaFirma"] = _stamp_form(doc, stamp, templates_dir)
            resources.XObject = xobjects
            page.Resources = resources
            left, bottom = STAMP_BOX[0], STAMP_BOX[1]
            target = doc.pages[STAMP_PAGE]
            # The page's own drawing is closed in q/Q: its transformation must not reach the box.
            target.contents_add(pikepdf.Stream(doc, b"q\n"), prepend=True)
            target.contents_add(pikepdf.Stream(
                doc, f"\nQ\n/Artifact BMC q 1 0 0 1 {left} {bottom} cm /ImprentaFirma Do Q EMC\n".encode()))
        with tempfile.TemporaryDirectory(prefix="imprenta-firma-") as tmp:
            prepared = Path(tmp) / "preparado.pdf"
            doc.save(prepared, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
            no_carriage_return_before_endstream(prepared)
            return prepared.read_bytes()


@dataclass
class Verdict:
    """What verificar reports about one signature."""

    signer: str
    signed_at: dt.datetime | None
    intact: bool
    trusted: bool
    whole_file: bool
    summary: str

    @property
    def valid(self) -> bool:
        return self.intact and self.trusted and self.whole_file


def _load_certs(paths: list[Path]) -> list[Any]:
    from asn1crypto import pem, x509

    certs = []
    for path in paths:
        if not path.is_file():
            raise ConfigError(f"no se encontró el certificado de confianza {path}", "indique un archivo .pem o .crt")
        data = path.read_bytes()
        blobs = [der for _, _, der in pem.unarmor(data, multiple=True)] if pem.detect(data) else [data]
        certs.extend(x509.Certificate.load(der) for der in blobs)
    return certs


def verify_pdf(pdf: Path, trust: list[Path]) -> list[Verdict]:
    """Check every signature of a PDF: intact bytes, a chain to a trusted authority, nothing added afterwards."""
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    if not pdf.is_file():
        raise ConfigError(f"no se encontró el PDF {pdf}", "indique la ruta del PDF firmado")
    context = ValidationContext(trust_roots=_load_certs(trust), allow_fetching=False, revocation_mode="soft-fail")
    verdicts = []
    try:
        with pdf.open("rb") as handle:
            reader = PdfFileReader(handle, strict=False)
            signatures = reader.embedded_signatures
            if not signatures:
                raise ImprentaError(f"{pdf} no tiene firma digital", "fírmelo con: python build.py pdf --firmar CERT.p12")
            for signature in signatures:
                status = validate_pdf_signature(signature, context)
                whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
                verdicts.append(Verdict(
                    signer=status.signing_cert.subject.native.get("common_name") or status.signing_cert.subject.human_friendly,
                    signed_at=status.signer_reported_dt,
                    intact=status.intact and status.valid,
                    trusted=status.trusted,
                    whole_file=whole,
                    summary=str(status.summary()),
                ))
    except (PdfReadError, ValueError, KeyError) as exc:
        raise ImprentaError(f"{pdf} está dañado y no se puede leer su firma: {exc}",
                            "pida a la entidad emisora una copia nueva del documento") from exc
    return verdicts


def report(pdf: Path, verdicts: list[Verdict]) -> bool:
    """Log the verdicts in Spanish; True when every signature is valid."""
    for verdict in verdicts:
        when = f"{verdict.signed_at:%d/%m/%Y %H:%M:%S %Z}" if verdict.signed_at else "fecha desconocida"
        log.info("firma de: %s", verdict.signer)
        log.info("  fecha de la firma: %s", when)
        log.info("  integridad: %s", "intacta: el contenido firmado no cambió" if verdict.intact
                 else "ROTA: el contenido cambió después de firmar")
        log.info("  confianza: %s", "el certificado lleva a una autoridad de confianza" if verdict.trusted
                 else "el certificado NO lleva a una autoridad de confianza indicada con --confianza")
        log.info("  cambios posteriores: %s", "ninguno; la firma cubre todo el archivo" if verdict.whole_file
                 else "SÍ: el archivo se modificó después de la firma (se añadió una actualización)")
    valid = all(v.valid for v in verdicts)
    if valid:
        log.info("%s: firma válida", pdf)
    else:
        log.error("error: %s: la firma NO es válida", pdf)
    return valid
