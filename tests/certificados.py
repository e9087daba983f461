"""Throwaway certificates for the signing tests: a CA and signers made in tmp_path, nothing secret committed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

PASSWORD = "clave-de-prueba"


def _name(common: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "BO"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Entidad de prueba"),
        x509.NameAttribute(NameOID.COMMON_NAME, common),
    ])


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def make_ca(folder: Path) -> tuple[rsa.RSAPrivateKey, x509.Certificate, Path]:
    key = _key()
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Autoridad de prueba")).issuer_name(_name("Autoridad de prueba"))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=10)).not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                                     encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = folder / "autoridad.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert, path


def make_signer(folder: Path, ca: tuple[rsa.RSAPrivateKey, x509.Certificate, Path], name: str = "firmante",
                expired: bool = False, can_sign: bool = True) -> Path:
    """A PKCS#12 file for a signer issued by the CA; expired, or without the digital-signature key usage, on demand."""
    ca_key, ca_cert, _ = ca
    key = _key()
    now = dt.datetime.now(dt.UTC)
    start, end = (now - dt.timedelta(days=400), now - dt.timedelta(days=35)) if expired else (now - dt.timedelta(days=1), now + dt.timedelta(days=365))
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("María Quispe, AGETIC")).issuer_name(ca_cert.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.KeyUsage(digital_signature=can_sign, content_commitment=can_sign,
                                     key_encipherment=not can_sign, data_encipherment=False, key_agreement=False,
                                     key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False),
                       critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    path = folder / f"{name}.p12"
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        name.encode(), key, cert, [ca_cert], serialization.BestAvailableEncryption(PASSWORD.encode())))
    return path
