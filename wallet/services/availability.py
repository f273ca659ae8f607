"""Which shares still depend on this computer, and what changed since the last look.

A doctor fetches a share from whoever holds its ciphertext: this computer's IPFS node,
or a pinning service that pinned it (issue "shares that outlive the patient's laptop").
The desktop app keeps its node serving after the window closes, warns before quitting
while a share nobody has opened yet is held only here, and tells the patient when a
doctor opened a share or a share is about to end. This module is that logic, without Qt:

- :func:`issued_shares` ``(wallet) -> list[WatchedShare]``: this wallet's grants as the
  chain has them now (needs the unlocked wallet: grants are found through its keys),
  each with whether a configured pinning service holds it;
- :func:`refresh_shares` ``(context, shares) -> list[WatchedShare]``: the same grants
  read again by id (public chain data: works while the wallet is locked);
- :class:`ShareWatch`: remembers the last look and turns a new one into
  :class:`ShareNotice` values (``opened``, ``expiring``), and lists the shares at risk.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ..chain.grants import GrantStatus
from ..chain.values import GrantId
from ..errors import WalletError
from .context import WalletContext
from .wallet import UnlockedWallet

__all__ = [
    "EXPIRING_WITHIN",
    "ShareNotice",
    "ShareWatch",
    "WatchedShare",
    "issued_shares",
    "keep_sharing_after_close",
    "refresh_shares",
    "set_keep_sharing_after_close",
]

EXPIRING_WITHIN = timedelta(hours=24)
"""How long before its end a share is announced as about to expire."""

HeldRemotely = Callable[[str], bool]
"""``cid -> bool``: whether a pinning service holds that CID (so it is available without this computer)."""


@dataclass(frozen=True)
class WatchedShare:
    """One grant this wallet issued, as last read from the chain.

    ``status`` is a :class:`~wallet.chain.grants.GrantStatus` value at the chain's time
    of reading; ``accesses`` counts the doctor's logged opens; ``held_remotely`` says a
    pinning service holds the ciphertext."""

    grant_id: str
    grantee: str
    name: str | None
    cid: str
    expires_at: datetime
    accesses: int
    status: str
    held_remotely: bool = False

    def __post_init__(self) -> None:
        GrantId.parse(self.grant_id)
        if self.status not in {s.value for s in GrantStatus}:
            raise ValueError(f"unknown grant status {self.status!r}")
        if self.accesses < 0:
            raise ValueError("accesses cannot be negative")
        if self.expires_at.tzinfo is None:
            raise ValueError("expires_at must be aware (UTC)")

    @property
    def who(self) -> str:
        """The doctor as the patient named them, else their address."""
        return self.name or self.grantee

    @property
    def at_risk(self) -> bool:
        """Active, never opened, and held by no pinning service: quitting makes it unreachable."""
        return self.status == GrantStatus.ACTIVE.value and self.accesses == 0 and not self.held_remotely


@dataclass(frozen=True)
class ShareNotice:
    """Something the patient should hear about: ``kind`` is ``opened`` or ``expiring``."""

    kind: str
    grant_id: str
    title: str
    text: str

    def __post_init__(self) -> None:
        if self.kind not in ("opened", "expiring"):
            raise ValueError(f"unknown notice kind {self.kind!r}")


def _never_held(_cid: str) -> bool:
    return False


def issued_shares(wallet: UnlockedWallet, *, held_remotely: HeldRemotely | None = None) -> list[WatchedShare]:
    """Every grant this wallet issued, read from the chain now.

    ``held_remotely`` answers per CID whether a pinning service holds it (default: when a
    share is still unopened, the configured services are asked which CIDs they hold,
    :func:`wallet.services.pinning.pinned_remotely`). Raises
    :class:`~wallet.errors.ChainError` when the chain cannot be read."""
    if not wallet.store.count(types=["Consent"]):
        return []  # every grant made here keeps its Consent: none, so no chain read is needed
    from .pinning import pinned_remotely  # the sharing stack loads only for a wallet that shared
    from .sharing import Sharing

    views = Sharing(wallet).grants()
    if held_remotely is None:
        unopened = any(v.status is GrantStatus.ACTIVE and not v.grant.accesses for v in views)
        held_remotely = pinned_remotely(wallet).__contains__ if unopened else _never_held
    return [WatchedShare(view.grant_id, view.grant.grantee, view.counterpart_name, view.grant.cid,
                         view.grant.expires_at, view.grant.accesses, view.status.value,
                         held_remotely(view.grant.cid))
            for view in views]


def refresh_shares(context: WalletContext, shares: Sequence[WatchedShare]) -> list[WatchedShare]:
    """``shares`` read again from the chain by grant id (no key needed: a locked wallet's
    app polls this). A grant the chain cannot answer for keeps its last reading. Raises
    :class:`~wallet.errors.ChainError` when the chain cannot be reached at all."""
    if not shares:
        return []
    chain = context.make_chain()
    try:
        now = chain.now()
        out = []
        for share in shares:
            try:
                grant = chain.grant_info(GrantId.parse(share.grant_id))
            except WalletError:
                out.append(share)
                continue
            out.append(replace(share, accesses=grant.accesses, status=grant.status(now).value,
                               expires_at=grant.expires_at))
        return out
    finally:
        with contextlib.suppress(WalletError):
            chain.close()


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _ends_in(left: timedelta) -> str:
    hours = int(left.total_seconds() // 3600)
    if hours >= 1:
        return f"in about {_plural(hours, 'hour')}"
    minutes = max(1, int(left.total_seconds() // 60))
    return f"in {_plural(minutes, 'minute')}"


class ShareWatch:
    """The shares as last seen; :meth:`update` says what changed.

    The first update is the baseline: opens that happened before it are not announced
    again. A share is announced as expiring once, when it is active and ends within
    ``expiring_within`` of ``now``."""

    def __init__(self, *, expiring_within: timedelta = EXPIRING_WITHIN) -> None:
        self.expiring_within = expiring_within
        self._shares: dict[str, WatchedShare] = {}
        self._expiry_told: set[str] = set()
        self._seen = False

    def __repr__(self) -> str:
        return f"ShareWatch({len(self._shares)} shares)"

    @property
    def shares(self) -> list[WatchedShare]:
        return list(self._shares.values())

    @property
    def at_risk(self) -> list[WatchedShare]:
        """Shares nobody has opened yet that only this computer holds (see :attr:`WatchedShare.at_risk`)."""
        return [s for s in self._shares.values() if s.at_risk]

    def update(self, shares: Iterable[WatchedShare], *, now: datetime) -> list[ShareNotice]:
        """Take a new reading (every issued share); the notices it gives rise to, in order."""
        notices: list[ShareNotice] = []
        fresh = {s.grant_id: s for s in shares}
        for gid, share in fresh.items():
            before = self._shares.get(gid)
            opened = share.accesses - (before.accesses if before is not None else 0)
            if self._seen and opened > 0:
                times = "" if opened == 1 else f" {_plural(opened, 'time')}"
                notices.append(ShareNotice("opened", gid, "A doctor opened your share",
                                           f"{share.who} opened the records you shared{times}."))
            left = share.expires_at - now
            if (share.status == GrantStatus.ACTIVE.value and timedelta(0) < left <= self.expiring_within
                    and gid not in self._expiry_told):
                self._expiry_told.add(gid)
                notices.append(ShareNotice("expiring", gid, "A share ends soon",
                                           f"Your share with {share.who} ends {_ends_in(left)} "
                                           f"({share.expires_at:%Y-%m-%d %H:%M} UTC)."))
        self._shares = fresh
        self._seen = True
        return notices

    def quit_warning(self) -> str | None:
        """What to tell a patient about to quit, or ``None`` when nothing depends on this computer."""
        risky = self.at_risk
        if not risky:
            return None
        names = ", ".join(sorted({s.who for s in risky}))
        return (f"{_plural(len(risky), 'share')} nobody has opened yet "
                f"{'is' if len(risky) == 1 else 'are'} held only on this computer ({names}). "
                "If you quit, the doctor cannot open "
                f"{'it' if len(risky) == 1 else 'them'} until Health Wallet runs here again. "
                "Keep sharing in the background, or add a pinning service so shares stay available "
                "without this computer.")


KEEP_SHARING = "sharing.keep_after_close"


def keep_sharing_after_close(context: WalletContext) -> bool:
    """The setting ``sharing.keep_after_close``: closing the window locks the wallet but its
    IPFS node keeps serving. A hand-edited, unreadable value counts as its default (on)."""
    try:
        return context.config.settings.sharing_keep_after_close
    except WalletError:
        return True


def set_keep_sharing_after_close(context: WalletContext, keep: bool) -> None:
    """Store the setting (atomically, in the home's ``config.json``)."""
    context.config.set(KEEP_SHARING, bool(keep))
