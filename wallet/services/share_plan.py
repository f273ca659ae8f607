"""Planning a share before it is made: what, with whom, until when, checked by the core.

:func:`plan_share` validates a choice (records, the doctor's address, the doctor's
published key, the expiry) with the same rules :meth:`Sharing.grant` applies and returns
a :class:`SharePlan`: exactly what the grant will be given. The expiry is read on the
chain's clock (:meth:`Sharing.expires_at`), the clock the contract enforces, so "7 days"
means the same in the desktop app and on the command line.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from ..errors import KeyNotRegistered, ShareError
from ..records.summary import CATEGORIES
from .address_book import AddressBook
from .sharing import LOCAL_ONLY_TYPES, Sharing
from .wallet import UnlockedWallet

__all__ = ["SharePlan", "plan_share"]


@dataclass(frozen=True)
class SharePlan:
    """A checked share, ready to confirm: exactly what :meth:`Sharing.grant` will be given.

    ``by_category``: records per category (the Patient, always sent, not counted);
    ``expires_at``: aware UTC, on the chain's clock; ``gas``: the grant's estimated gas.
    """

    record_ids: tuple[str, ...]
    by_category: tuple[tuple[str, int], ...]
    grantee: str
    grantee_name: str
    expires_at: datetime
    gas: int | None = None
    development_chain: bool = False
    remember: bool = False

    def __post_init__(self) -> None:
        if not self.record_ids:
            raise ValueError("a share plan needs records")
        if self.expires_at.tzinfo is None:
            raise ValueError("expires_at must be aware")

    @property
    def records(self) -> int:
        return sum(n for _, n in self.by_category)

    @property
    def who(self) -> str:
        return f"{self.grantee_name} ({self.grantee})" if self.grantee_name else self.grantee


NOT_REGISTERED = ("This address has not published its encryption key yet, so nothing can be shared with it. Ask "
                  "the doctor to choose Sharing ▸ Publish my encryption key in Health Wallet (or run "
                  "'health-wallet register-key'), then try again.")


def plan_share(wallet: UnlockedWallet, *, categories: list[str], record_ids: list[str], grantee: str, name: str,
               expiry: str, remember: bool = False) -> SharePlan:
    """Check a share with the core's rules (it reads the chain: run it off the GUI thread).

    ``grantee``: an address, or a name saved in the address book. ``expiry``: a duration
    (``7d``) or an ISO date or date-time, read on the chain's clock. ``record_ids`` wins
    over ``categories`` when given. Raises a :class:`~wallet.errors.WalletError` saying
    what to fix (:class:`~wallet.errors.KeyNotRegistered` when the doctor has no key on
    chain).
    """
    sharing = Sharing(wallet)
    if not (categories or record_ids):
        raise ShareError("Choose at least one category or record to share.")
    ids = sharing.choose_records(ids=record_ids) if record_ids else sharing.choose_records(categories=categories)
    if not grantee.strip():
        raise ShareError("The doctor's address is 0x followed by 40 hex digits; paste it from the doctor.")
    address = AddressBook.load(wallet.app.home).resolve(grantee)
    if address == wallet.identity.address:
        raise ShareError("That is this wallet's own address; enter the doctor's address.")
    expires_at = sharing.expires_at(expiry)
    if not sharing.key_registered(address):
        raise KeyNotRegistered(NOT_REGISTERED)
    gas = sharing.estimate_grant_gas(address)
    skip = ("Patient", *LOCAL_ONLY_TYPES)
    if record_ids:
        summaries = [wallet.store.get_summary(i) for i in ids]
    else:
        chosen = set(ids)
        summaries = [r.summary for c in categories for r in wallet.summaries(category=c) if r.id in chosen]
    per_category = Counter(s.category for s in summaries if s.resource_type not in skip)
    by_category = tuple((c, per_category[c]) for c in CATEGORIES if per_category[c])
    return SharePlan(tuple(ids), by_category, address, " ".join(name.split()), expires_at, gas,
                     sharing.development_chain, remember)
