"""The ``HOW-TO-VERIFY.txt`` written into every export (the same bytes every time).

The two scripts inside are run by the test suite against real exports, so the
instructions stay true.
"""

from __future__ import annotations

__all__ = ["DECRYPT_SCRIPT", "HOWTO_TEXT", "VERIFY_SCRIPT"]

VERIFY_SCRIPT = '''\
import base64, decimal, hashlib, json, pathlib, sys
from Crypto.Hash import keccak
from joserfc import jws
from joserfc.jwk import ECKey

folder = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")

def fail(reason):
    sys.exit("NOT VALID: " + reason)

def signer_of(token, payload):
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    try:
        jws.deserialize_compact(token, ECKey.import_key(header["jwk"]), algorithms=["ES256K"], payload=payload)
    except Exception as exc:
        fail("bad signature (%s)" % exc)
    xy = b"".join(base64.urlsafe_b64decode(header["jwk"][c] + "==") for c in "xy")
    address = "0x" + keccak.new(digest_bits=256, data=xy).hexdigest()[-40:]
    if header["kid"].lower() != "ethereum:" + address:
        fail("the signer named in the signature does not own its key")
    return header["kid"]

manifest = (folder / "SHA256SUMS").read_bytes()
listed = dict(reversed(line.split("  ", 1)) for line in manifest.decode().splitlines())
present = {p.name for p in folder.iterdir()} - {"SHA256SUMS", "SHA256SUMS.jws"}
if present != set(listed):
    fail("files added or missing: %s" % sorted(present ^ set(listed)))
for name, digest in listed.items():
    if hashlib.sha256((folder / name).read_bytes()).hexdigest() != digest:
        fail(name + " was changed")
def canonical(value):
    # RFC 8785, with every number written exactly: integers as digits, decimals as
    # Python's str(Decimal) (the to-scientific-string), so 5.10 stays 5.10
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: k.encode("utf-16-be", "surrogatepass"))
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + canonical(value[k]) for k in keys) + "}"
    if isinstance(value, list):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    if isinstance(value, (int, decimal.Decimal)) and not isinstance(value, bool):
        return str(value)
    return json.dumps(value, ensure_ascii=False)

signer = signer_of((folder / "SHA256SUMS.jws").read_text(), manifest)
bundle = json.loads((folder / "bundle.json").read_bytes(), parse_float=decimal.Decimal)
token = base64.b64decode(bundle.pop("signature")["data"]).decode()
header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
if header.get("cty") != "fhir+json; canonicalization=rfc8785-exact-decimals":
    fail("Bundle.signature covers an unknown form")
if signer_of(token, canonical(bundle).encode("utf-8")) != signer:
    fail("bundle.json and SHA256SUMS were signed by different accounts")
print("VALID: every file is intact; signed by " + signer)
'''

DECRYPT_SCRIPT = '''\
import getpass, os, pathlib, sys
from joserfc import jwe
from joserfc.jwk import OctKey

registry = jwe.JWERegistry(algorithms=["PBES2-HS512+A256KW", "A256GCM"])
registry.max_ciphertext_length = 1 << 33
token = (pathlib.Path(sys.argv[1]) / "export.jwe").read_text()
passphrase = os.environ.get("EXPORT_PASSPHRASE") or getpass.getpass("Passphrase: ")
plain = jwe.decrypt_compact(token, OctKey.import_key(passphrase.encode("utf-8")), registry=registry).plaintext
sys.stdout.buffer.write(plain)
'''


def _indent(script: str) -> str:
    return "".join("    " + line if line.strip() else line for line in script.splitlines(keepends=True))


HOWTO_TEXT = f"""\
HOW TO VERIFY THIS HEALTH RECORD EXPORT
=======================================

Format: Health Wallet signed export, version 2.

This folder holds health records that their owner signed with the key of their
Ethereum account. Anyone can check, offline and without Health Wallet, that no
file was changed, added or removed, and which account signed them.

What the folder holds
---------------------

  bundle.json                  The records: a FHIR R4 Bundle of type "collection".
                               Bundle.signature is the owner's signature over it.
  provenance.json              A FHIR Provenance: who made this export, and when.
  card-NN.smart-health-card    SMART Health Cards exactly as their issuers made
                               them; the issuers' own signatures still verify.
  SHA256SUMS                   The SHA-256 digest of every other file.
  SHA256SUMS.jws               The owner's signature over SHA256SUMS.
  HOW-TO-VERIFY.txt            This text.

An encrypted export holds only export.jwe and this text: see step 0.

The quick way
-------------

    health-wallet verify FOLDER

The signatures, in standard terms
---------------------------------

SHA256SUMS.jws is a JSON Web Signature (RFC 7515) in compact form with a
detached payload (header..signature, RFC 7515 appendix F). The payload is the
exact bytes of SHA256SUMS. The algorithm is ES256K (RFC 8812: ECDSA on the
secp256k1 curve with SHA-256). The protected header holds the signer's public
key ("jwk") and account ("kid": "ethereum:0x..."). The account is the last 20
bytes of the Keccak-256 hash of the key's x and y coordinates (32 bytes each),
as in Ethereum. Any JOSE library that supports ES256K can check the signature.

Bundle.signature.data (base64) is a JWS of the same kind. Its payload is the
canonical JSON of bundle.json without its "signature" element, so the Bundle
can be checked on its own, away from this folder. The canonical form is RFC
8785 (JCS) except for numbers, which are written exactly, so that a FHIR
decimal keeps its precision (5.10 is not 5.1): an integer as its digits, any
other number as the to-scientific-string of its decimal value (General
Decimal Arithmetic; Python's str(decimal.Decimal)), as bundle.json writes it.
The JWS header names this form: "cty" is
"fhir+json; canonicalization=rfc8785-exact-decimals".

Checking without Health Wallet
------------------------------

0. Encrypted export only. export.jwe is a JSON Web Encryption (RFC 7516):
   alg PBES2-HS512+A256KW, enc A256GCM. Inside is a tar.gz archive of the
   files listed above. Save these lines as decrypt-export.py:

{_indent(DECRYPT_SCRIPT)}
   Then run (Python 3 and: pip install joserfc):

    mkdir export && python3 decrypt-export.py FOLDER | tar -xz -C export
    cmp FOLDER/HOW-TO-VERIFY.txt export/HOW-TO-VERIFY.txt

   The two copies of this text must be the same. Then check the folder
   "export" as described below.

1. Check that no file was changed:

    cd FOLDER && sha256sum --strict -c SHA256SUMS

   On macOS use: shasum -a 256 -c SHA256SUMS. Every line must say OK. Also
   check that the folder holds no file that SHA256SUMS does not list, apart
   from SHA256SUMS and SHA256SUMS.jws.

2. Check the signatures and the signer. Save these lines as verify-export.py:

{_indent(VERIFY_SCRIPT)}
   Then run (Python 3 and: pip install joserfc pycryptodome):

    python3 verify-export.py FOLDER

   It does steps 1 and 2 and prints the signing account. Compare that
   account with the one the owner gave you.

3. Each card-NN.smart-health-card can be checked with any SMART Health Cards
   verifier. It is signed by its issuer, not by the owner of this folder.
"""
