"""HTTPS for a keeper: its certificate, and how a client pins it by fingerprint.

A keeper on a home server or a clinic machine has no name a public certificate
authority would sign, so ``health-wallet keeper --tls`` makes a self-signed certificate
(ECDSA P-256, RFC 5280 subjectAltName for the listening host and ``localhost``) and keeps
it in the keeper's folder (``tls/cert.pem``; the key ``tls/key.pem`` is 0600), so its
fingerprint stays the same from one run to the next. The keeper prints the SHA-256
fingerprint of the certificate's DER bytes; a client given that fingerprint
(``pinning add … --certificate-sha256 FP``) accepts that certificate and no other, as
SSH does with a host key: the fingerprint, not a certificate authority or the host name,
is what is trusted. A keeper with a certificate of its own (``--tls-cert``/``--tls-key``,
say from Let's Encrypt) is reached as any HTTPS service is, and prints its fingerprint too.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import os
import re
import ssl
from dataclasses import dataclass
from pathlib import Path

from ..atomicfile import make_folder, write_atomic
from ..errors import ConfigError

__all__ = ["KeeperCertificate", "normalise_fingerprint", "self_signed_certificate", "server_context",
           "shown_fingerprint"]

_VALID_DAYS = 3650  # a self-signed certificate is pinned, not renewed: its lifetime is the keeper's
_FINGERPRINT = re.compile(r"[0-9a-f]{64}")


def normalise_fingerprint(text: str) -> str:
    """A SHA-256 fingerprint as typed (hex, any case, with or without ``:``, an optional
    ``SHA256:`` prefix) → 64 lower-case hex digits; :class:`ConfigError` otherwise."""
    plain = text.strip().lower()
    plain = plain.removeprefix("sha256:").removeprefix("sha-256:").replace(":", "").replace(" ", "")
    if not _FINGERPRINT.fullmatch(plain):
        raise ConfigError("A certificate fingerprint is the 64 hex digits of its SHA-256, as the keeper prints it.")
    return plain


def shown_fingerprint(fingerprint: str) -> str:
    """``AB:CD:…``: 64 hex digits as people compare them, in pairs."""
    return ":".join(fingerprint[i:i + 2] for i in range(0, 64, 2)).upper()


@dataclass(frozen=True)
class KeeperCertificate:
    """A certificate and its key as PEM files, and the SHA-256 ``fingerprint`` of the
    certificate's DER bytes (64 lower-case hex digits)."""

    cert_path: Path
    key_path: Path
    fingerprint: str

    @property
    def shown_fingerprint(self) -> str:
        """``AB:CD:…``: the fingerprint as people compare it, in pairs of digits."""
        return shown_fingerprint(self.fingerprint)

    @classmethod
    def from_files(cls, cert_path: Path, key_path: Path) -> KeeperCertificate:
        """The certificate in ``cert_path`` (PEM; the first one if a chain follows).
        :class:`ConfigError` when a file is unreadable or not a PEM certificate."""
        try:
            pem = Path(cert_path).read_text("ascii")
            der = ssl.PEM_cert_to_DER_cert(pem[:pem.index("-----END CERTIFICATE-----") + 25])
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{cert_path} is not a readable PEM certificate.") from exc
        if not Path(key_path).is_file():
            raise ConfigError(f"The key file {key_path} is missing.")
        return cls(Path(cert_path), Path(key_path), hashlib.sha256(der).hexdigest())


def _names(host: str) -> list[object]:
    from cryptography import x509

    names: list[object] = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    if host in ("", "0.0.0.0", "::", "localhost", "127.0.0.1"):
        return names
    try:
        names.append(x509.IPAddress(ipaddress.ip_address(host)))
    except ValueError:
        names.append(x509.DNSName(host))
    return names


def self_signed_certificate(folder: Path, host: str) -> KeeperCertificate:
    """The keeper's own certificate in ``folder`` (``cert.pem``, ``key.pem`` 0600): the one
    made on an earlier run while it is still valid, else a new one naming ``host``.

    Raises :class:`ConfigError` when the folder cannot be written."""
    cert_path, key_path = Path(folder) / "cert.pem", Path(folder) / "key.pem"
    if cert_path.is_file() and key_path.is_file():
        from cryptography import x509

        try:
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
            if cert.not_valid_after_utc > datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1):
                return KeeperCertificate.from_files(cert_path, key_path)
        except (OSError, ValueError):
            pass  # unreadable: a new one replaces it
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Health Wallet keeper")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=_VALID_DAYS))
            .add_extension(x509.SubjectAlternativeName(_names(host)), critical=False)  # type: ignore[arg-type]
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    try:
        make_folder(Path(folder), 0o700)
        write_atomic(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()), mode=0o600)
        write_atomic(cert_path, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
    except OSError as exc:
        raise ConfigError(f"Cannot keep the keeper's certificate in {folder}: {exc.strerror or exc}.") from exc
    return KeeperCertificate(cert_path, key_path, hashlib.sha256(cert.public_bytes(serialization.Encoding.DER))
                             .hexdigest())


def server_context(certificate: KeeperCertificate) -> ssl.SSLContext:
    """A TLS server context (TLS 1.2 or later) serving ``certificate``.

    Raises :class:`ConfigError` when the key does not match or cannot be read."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(os.fspath(certificate.cert_path), os.fspath(certificate.key_path))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"The keeper cannot serve {certificate.cert_path} with {certificate.key_path}: "
                          f"{getattr(exc, 'reason', None) or exc}.") from exc
    return context
