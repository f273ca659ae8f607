"""A second wallet process on a shared embedded chain (run by the tests as ``python -m``).

    python -m tests.chain.embedded_worker DIR TIMESTAMP grant PATIENT_KEY GRANTEE COUNT
    python -m tests.chain.embedded_worker DIR TIMESTAMP access GRANTEE_KEY GRANT_ID
    python -m tests.chain.embedded_worker DIR TIMESTAMP backup OWNER_KEY CID

Prints one JSON document: the grant ids made, or the transaction.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime, timedelta

from eth_account import Account

from wallet.chain import new_grant_id, open_embedded_chain, parse_grant_id
from wallet.clock import FixedClock


def main(argv: list[str]) -> None:
    folder, stamp, action, key, *rest = argv
    clock = FixedClock(datetime.fromtimestamp(int(stamp), UTC))
    backend = open_embedded_chain(folder, clock=clock)
    account = Account.from_key(key)
    out: dict[str, object] = {}
    if action == "grant":
        grantee, count = rest[0], int(rest[1])
        ids = []
        for _ in range(count):
            gid = new_grant_id(grantee)
            backend.grant(account, gid, grantee, "bafy-from-worker", os.urandom(93), clock.now() + timedelta(days=1))
            ids.append("0x" + gid.hex())
        out["grants"] = ids
    elif action == "access":
        out["tx"] = backend.record_access(account, parse_grant_id(rest[0])).tx_hash
    elif action == "backup":
        out["tx"] = backend.publish_backup(account, rest[0]).tx_hash
    else:
        raise SystemExit(f"unknown action {action}")
    backend.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
