"""https for `coach serve`: the user's certificate, or a self-signed one kept in the data folder.

Browsers give a page the camera only on localhost or over https, so a patient on another machine
of a clinic's LAN needs https. `make_self_signed()` makes (once) and reuses a certificate for
localhost, 127.0.0.1, ::1 and this machine's host name (2 years; an EC P-256 key readable only by
its owner). Browsers warn about it until it is trusted; on the internet use a reverse proxy with
a real certificate instead (docs/DEPLOY.md).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import os
import socket
import ssl
from pathlib import Path

CERT_NAME = "coach-selfsigned.crt"
KEY_NAME = "coach-selfsigned.key"
VALID_DAYS = 730
RENEW_BEFORE_DAYS = 30


class CertificateError(Exception):
    """A certificate or key that can't be used; the message says which and why (one line)."""


def check_cert_files(certfile: str | Path, keyfile: str | Path | None) -> None:
    """Load the pair as the server will; CertificateError with one line when it can't."""
    for label, path in (("certificate", certfile), ("key", keyfile)):
        if path is None:
            continue
        p = Path(path)
        if not p.is_file():
            raise CertificateError(f"{label} file not found: {p}")
        if not os.access(p, os.R_OK):
            raise CertificateError(f"{label} file not readable: {p}")
    try:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(certfile), str(keyfile) if keyfile else None)
    except (ssl.SSLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc.strerror or str(exc)
        key = f"key {keyfile}" if keyfile else "key in the same file"
        raise CertificateError(
            f"cannot use certificate {certfile} ({key}): not a matching PEM certificate and "
            f"private key ({reason})"
        ) from None


def default_names() -> list[str]:
    names = ["localhost", "127.0.0.1", "::1"]
    with contextlib.suppress(OSError):
        host = socket.gethostname()
        if host and host not in names:
            names.append(host)
    return names


def _covers(cert_path: Path, names: list[str]) -> bool:
    """The certificate there names all of `names` and is not about to expire."""
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return False
    have = {str(n) for n in san.get_values_for_type(x509.DNSName)}
    have |= {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    renew_at = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=RENEW_BEFORE_DAYS)
    return set(names) <= have and cert.not_valid_after_utc > renew_at


def make_self_signed(folder: Path, names: list[str] | None = None) -> tuple[Path, Path]:
    """(certificate, key) in `folder`: the ones made before when they still fit, else new."""
    names = names or default_names()
    cert_path, key_path = folder / CERT_NAME, folder / KEY_NAME
    if key_path.is_file() and _covers(cert_path, names):
        with contextlib.suppress(CertificateError):
            check_cert_files(cert_path, key_path)  # still a matching pair
            return cert_path, key_path
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Coach on {names[-1]}")])
    alt: list[x509.GeneralName] = []
    for name in names:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alt.append(x509.DNSName(name))
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    key_bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    tmp = key_path.with_name(key_path.name + ".tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key_bytes)
    os.replace(tmp, key_path)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path
