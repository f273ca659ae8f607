"""The words of the in-app help: a short user guide and a glossary (Markdown, written
here, never from a file or a record)."""

from __future__ import annotations

__all__ = ["GLOSSARY", "GUIDE"]

GUIDE = """\
### Using Health Wallet

#### Your records
Import the files your patient portal gives you (**File ▸ Import files…**, or drop them on the
window): FHIR files and SMART Health Cards. Everything is encrypted on this computer. Choose a
category on the left; type in the filter to find a record (Escape clears it). Select a record to
read its details.

#### Share with a doctor
In the **Sharing** tab, choose **New share…**, then the doctor, what to share and for how long. You check what will be
shared before anything leaves this computer. Give the doctor the code or the text it shows. The
doctor sees only what you chose, and only until the share ends.

#### Revoke
In the **Sharing** tab, select a share and choose **Revoke…**. The doctor can no longer open it. Revoking
cannot take back what the doctor already opened and kept.

#### Back up
The **Backups** tab's **Back up** button keeps an encrypted copy that your recovery phrase can restore on a new
computer. Nobody can read it without your phrase.

#### Lock, passphrase and recovery phrase
**Ctrl+L** locks the wallet; it also locks by itself when not in use (Settings ▸ Security).
The passphrase opens the wallet on this computer. The recovery phrase (12 words) restores it
anywhere. Forgot the passphrase? On the unlock window choose **Forgot your passphrase?** and type
your recovery phrase.

#### Settings and text size
**File ▸ Settings…** (Ctrl+,): passphrase, lock, colours, text size, card issuers, networks, and
deleting data. **Ctrl+plus** and **Ctrl+minus** make the text larger or smaller; **Ctrl+0**
goes back to normal.

#### When something goes wrong
Every message says what to do next. "Sharing: offline" in the status bar means this computer is
not online: sharing and backups wait until it is.
"""

GLOSSARY = """\
### Words used in this app

**Share** — A copy of the records you chose, encrypted so that only one doctor's wallet can open it,
for a time you choose.

**Grant** — The permission that goes with a share: who may open it and until when. It is recorded
where both wallets can check it.

**Revoke** — Ending a grant before its time. The doctor's wallet refuses to open the share from
then on. What was already opened cannot be taken back.

**Backup** — An encrypted copy of your whole wallet that your recovery phrase restores on a new
computer.

**On chain** — Recorded on a shared public ledger (a blockchain network) that nobody can quietly
change. Grants and revocations are kept there, never your records themselves.

**Pinning** — Keeping an encrypted share or backup available on the internet, so a doctor can fetch
it while your computer is off. A pinning service stores it without being able to read it.

**Recovery phrase** — Your 12 words. With them you can restore this wallet and its keys on any
computer; anyone else with them could too. Keep them on paper, offline.

**Passphrase** — What you type to unlock the wallet on this computer. Forgotten? Your recovery
phrase lets you choose a new one.

**Health card (SMART Health Card)** — A signed record from a clinic or health authority, for
example of a vaccination. "Verified" means its issuer is one you trust (Settings ▸ Card issuers).

**Network** — Where grants are recorded. "Embedded" works on this computer only; to share with a
doctor on another computer you both use the same network (Settings ▸ Networks).
"""
