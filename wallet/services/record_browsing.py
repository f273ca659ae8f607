"""Reading an unlocked wallet's records (a part of :class:`UnlockedWallet`).

:class:`RecordBrowsing` holds the methods of :class:`~.unlocked_wallet.UnlockedWallet`
that the screens and ``records`` read records with: one profile's summaries by view,
pages, counts (exact and capped), full-text search, one record and its history, and
deleting one record. Rows are named as :mod:`.reading` names them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..events import CancelToken
from ..records.profiles import OWNER
from ..records.store import (
    SEARCH_COUNT_CAP,
    CappedCount,
    Page,
    PageKey,
    RecordStore,
    SearchPage,
    StoredSummary,
)
from .reading import TRAIL_TYPES  # the wallet's own activity, the owner's

if TYPE_CHECKING:
    from ..vault.keys import WalletKeys
    from .reading import DisplayIndex, RecordCounts

__all__ = ["RecordBrowsing"]


class RecordBrowsing:
    """The record reading methods of :class:`~.unlocked_wallet.UnlockedWallet`, which
    provides what is declared here (the open store, the keys, the active profile)."""

    store: RecordStore
    _backends_lock: threading.Lock
    _displays: DisplayIndex | None

    if TYPE_CHECKING:
        @property
        def keys(self) -> WalletKeys: ...

        def _profile_name(self, profile: str | None) -> str: ...

    def summaries(self, *, category: str | None = None, types: Iterable[str] | None = None,
                  since: str | None = None, limit: int = -1, offset: int = 0,
                  profile: str | None = None, text: str | None = None) -> list[StoredSummary]:
        """One profile's summaries (default: the active profile's), newest first. The wallet's
        own trail (:data:`TRAIL_TYPES`) is the owner's, whichever profile is active. ``text``:
        only records the full-text search finds for it (as :meth:`search`).

        ``category`` is a view of :mod:`.reading`: a category, ``ALL_RECORDS`` or
        ``HEALTH_RECORDS``; without ``category`` and ``types``, every stored row. Titles that
        are only a code, or a medication named by reference, are named from the wallet."""
        from ..records.summary import ACTIVITY
        from .reading import named_rows, view_query

        types = list(types) if types is not None else None
        if profile is None and ((types and set(types) <= set(TRAIL_TYPES)) or (category == ACTIVITY and not types)):
            profile = OWNER
        name = self._profile_name(profile)
        if types is None and category is not None:
            category, types = view_query(category)
            if types == []:
                return []
        rows = self.store.summaries(category=category, types=types, since=since, limit=limit, offset=offset,
                                    profile=name, text=text)
        return named_rows(self.store, rows, name, self._display_index())

    def _display_index(self) -> DisplayIndex:
        from .reading import DisplayIndex

        with self._backends_lock:
            if self._displays is None:
                self._displays = DisplayIndex(self.store)
            return self._displays

    def record_counts(self, profile: str | None = None) -> RecordCounts:
        """The counts every screen shows (see :func:`.reading.record_counts`)."""
        from .reading import record_counts

        return record_counts(self.store, self._profile_name(profile))

    def reference_names(self, resource: dict[str, Any], profile: str | None = None) -> dict[str, str]:
        """``reference`` → name for the references in ``resource`` (see :func:`.reading.reference_names`)."""
        from .reading import reference_names

        return reference_names(self.store, resource, self._profile_name(profile))

    def record(self, rid: str, *, profile: str | None = None) -> dict[str, Any]:
        """One record of ``profile`` (default: the active one); another person's is not found.
        The wallet's own trail (Consents and AuditEvents of the owner) is found from any profile."""
        if profile is not None or self.store.get_summary(rid).resource_type not in TRAIL_TYPES:
            self.require_in_profile([rid], profile)
        return self.store.get(rid)

    def record_history(self, rid: str, *, profile: str | None = None) -> dict[str, Any]:
        """``{"current", "history", "deleted"}``: a record, its earlier versions newest first
        (by ``meta.lastUpdated``, then ``meta.versionId``, then the order they were kept),
        and whether its source deleted it."""
        from ..records.versions import history_order

        current = self.record(rid, profile=profile)
        versions = [resource for resource, _summary in self.store.versions(rid)]
        return {"current": current, "history": history_order(versions), "deleted": self.store.is_deleted(rid)}

    def require_in_profile(self, ids: Iterable[str], profile: str | None) -> None:
        """Raise :class:`RecordNotFound` for an id that is not a record of ``profile``."""
        from ..errors import RecordNotFound

        name = self._profile_name(profile)
        for rid in ids:
            if self.store.profile_of(rid) != name:
                raise RecordNotFound(f"No record {rid} in the profile '{name}'; list them with "
                                     f"'health-wallet records --profile {name}'.")

    def page(self, *, category: str | None = None, types: Iterable[str] | None = None, since: str | None = None,
             text: str | None = None, limit: int = 100, offset: int = 0, after: PageKey | None = None,
             profile: str | None = None) -> Page:
        """One page of one profile's summaries (default: the active profile), newest first, read
        through the store's indexes; see :meth:`RecordStore.page` (``text``: full-text search).
        ``category`` is a view as in :meth:`summaries`; rows are named as there."""
        from .reading import named_rows, view_query

        name = self._profile_name(profile)
        if types is None and category is not None:
            category, types = view_query(category)
        found = self.store.page(category=category, types=types, since=since, text=text, limit=limit, offset=offset,
                                after=after, profile=name)
        return Page(tuple(named_rows(self.store, list(found.rows), name, self._display_index())), found.next)

    def count(self, *, category: str | None = None, types: Iterable[str] | None = None, since: str | None = None,
              text: str | None = None, profile: str | None = None, cancel: CancelToken | None = None) -> int:
        """How many records :meth:`page` pages through with the same filters (``category``: a view).
        With ``text`` it reads every match (a worker thread's job; ``cancel`` stops it,
        :class:`Cancelled`); :meth:`capped_count` is bounded."""
        from .reading import view_query

        if types is None and category is not None:
            category, types = view_query(category)
        return self.store.count(category=category, types=types, since=since, text=text,
                                profile=self._profile_name(profile), cancel=cancel)

    def newest_per_code(self, category: str, *, among: int, profile: str | None = None) -> list[StoredSummary]:
        """The newest record of each code (else title) with a value or a detail among the newest
        ``among`` of one profile's (default: the active one's) ``category``, newest first, named
        as in :meth:`summaries`; see :meth:`RecordStore.newest_per_code`."""
        from .reading import named_rows

        name = self._profile_name(profile)
        rows = self.store.newest_per_code(category, name, among=among)
        return list(named_rows(self.store, rows, name, self._display_index()))

    def latest_by_title(self, category: str, *, profile: str | None = None) -> list[StoredSummary]:
        """The newest record of each title and status of one profile (default: the active one)
        in ``Medications``, ``Conditions`` or ``Allergies``, newest first, named as in
        :meth:`summaries`; see :meth:`RecordStore.latest_by_title` (``ValueError`` otherwise)."""
        from .reading import named_rows

        name = self._profile_name(profile)
        rows = self.store.latest_by_title(category, name)
        return list(named_rows(self.store, rows, name, self._display_index()))

    def matching_ids(self, text: str, *, category: str | None = None, profile: str | None = None) -> frozenset[str]:
        """Ids of one profile's records (default: the active one) that the full-text search
        finds for ``text`` (as :meth:`search`), in the view ``category`` (as in :meth:`summaries`).
        What a filter box over rows already read uses, so that it finds what ``records --search``
        finds (codes, displays, notes, narrative), not only the words its columns show."""
        from .reading import view_query

        types = None
        if category is not None:
            category, types = view_query(category)
        return frozenset(self.store.ids(category=category, types=types, text=text,
                                        profile=self._profile_name(profile)))

    def capped_count(self, *, category: str | None = None, types: Iterable[str] | None = None,
                     since: str | None = None, text: str | None = None, profile: str | None = None,
                     cap: int = SEARCH_COUNT_CAP) -> CappedCount:
        """:meth:`count`, exact up to ``cap`` records and ``1,000+`` above (time bounded by the
        cap); see :meth:`RecordStore.capped_count`. ``category``: a view as in :meth:`summaries`."""
        from .reading import view_query

        if types is None and category is not None:
            category, types = view_query(category)
        return self.store.capped_count(category=category, types=types, since=since, text=text,
                                       profile=self._profile_name(profile), cap=cap)

    def search_page(self, text: str, *, category: str | None = None, types: Iterable[str] | None = None,
                    since: str | None = None, limit: int = 200, profile: str | None = None,
                    cap: int | None = SEARCH_COUNT_CAP) -> SearchPage:
        """What the GUI's filter box shows first for ``text``: the newest ``limit`` matches of
        one profile (default: the active one), named as in :meth:`summaries`, and their count,
        exact up to ``cap`` (``None``: only the page's rows, see :meth:`RecordStore.search_page`;
        then :meth:`capped_count` counts them). The next rows are
        :meth:`summaries` with ``offset``; the exact count above the cap is :meth:`count`."""
        from .reading import named_rows, view_query

        name = self._profile_name(profile)
        if types is None and category is not None:
            category, types = view_query(category)
        found = self.store.search_page(text, category=category, types=types, since=since, profile=name,
                                       limit=limit, cap=cap)
        rows = tuple(named_rows(self.store, list(found.page.rows), name, self._display_index()))
        return SearchPage(Page(rows, found.page.next), found.count)

    def search(self, text: str, *, category: str | None = None, types: Iterable[str] | None = None,
               since: str | None = None, limit: int = 100, offset: int = 0,
               profile: str | None = None) -> list[StoredSummary]:
        """Records of one profile (default: the active one) whose words match ``text``: every
        word as a whole word (one ending in ``*``: as the start of a word; a filter box that
        searches as the user types adds it to the last word), in titles, codes and displays,
        values, notes or narrative; newest first. What the GUI's filter box and
        ``records --search`` call; see :meth:`RecordStore.search`. ``category``: a view as in
        :meth:`summaries`."""
        return list(self.page(category=category, types=types, since=since, text=text, limit=limit, offset=offset,
                              profile=profile).rows)

    def delete_record(self, rid: str, *, profile: str | None = None) -> None:
        """Delete one record of ``profile`` (default: the active one) from this wallet.
        Shares already given keep what they hold. Raises :class:`RecordNotFound`."""
        self.keys  # noqa: B018 - fail if locked
        self.require_in_profile([rid], profile)
        self.store.delete(rid)

    def counts_by_category(self, profile: str | None = None) -> dict[str, int]:
        """Records per browsed category (the wallet's own trail is not counted; see :mod:`.reading`)."""
        return dict(self.record_counts(profile).by_category)

    def counts_by_type(self, profile: str | None = None) -> dict[str, int]:
        return self.store.counts_by_type(self._profile_name(profile))
