"""Gas per operation of the grants contract beside a naive four-slot version, on anvil.

Both contracts are deployed on one anvil (started here on loopback from the npm
package) and exercised in the same run with the same inputs: a 59-character CIDv1 and
a 93-byte wrapped key, as the wallet sends them. Targets: grant ≤ 55,000 gas and
revoke ≤ 30,000; the exit status is 1 when one is missed.

    python benchmarks/bench_gas.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from web3 import Web3  # noqa: E402

from tests.chain.anvil_node import AnvilNode  # noqa: E402
from wallet.chain.contract import load_artefact  # noqa: E402
from wallet.chain.grants import new_grant_id  # noqa: E402

CID = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
WRAPPED_KEY_SIZE = 93
TARGETS = {"grant": 55_000, "revoke": 30_000}
OPERATIONS = ["registerKey (first)", "registerKey (again)", "grant", "recordAccess", "revoke", "publishBackup", "deploy"]


def _deploy(w3: Web3, abi: list, bytecode: str, sender: str) -> tuple[object, int]:
    tx = w3.eth.contract(abi=abi, bytecode=bytecode).constructor().transact({"from": sender})
    receipt = w3.eth.wait_for_transaction_receipt(tx)
    return w3.eth.contract(address=receipt["contractAddress"], abi=abi), receipt["gasUsed"]


def measure(w3: Web3, contract, deploy_gas: int, *, naive: bool, repeat: int) -> dict[str, list[int]]:
    accounts = w3.eth.accounts
    patient, doctor = accounts[1], accounts[2]
    used: dict[str, list[int]] = {op: [] for op in OPERATIONS}
    used["deploy"].append(deploy_gas)

    def gas(fn, sender: str) -> int:
        receipt = w3.eth.wait_for_transaction_receipt(fn.transact({"from": sender}))
        assert receipt["status"] == 1
        return receipt["gasUsed"]

    expires = w3.eth.get_block("latest")["timestamp"] + 7 * 86400
    for i in range(repeat):
        owner = accounts[3 + i % 7]
        key = os.urandom(32)
        op = "registerKey (first)" if i < 7 else "registerKey (again)"
        used[op].append(gas(contract.functions.registerKey(key), owner))
        used["registerKey (again)"].append(gas(contract.functions.registerKey(os.urandom(32)), owner))
        gid = new_grant_id(doctor)
        used["grant"].append(gas(contract.functions.grant(gid, doctor, CID, os.urandom(WRAPPED_KEY_SIZE), expires), patient))
        used["recordAccess"].append(gas(contract.functions.recordAccess(gid), doctor))
        used["revoke"].append(gas(contract.functions.revoke(gid), patient))
        if not naive:
            used["publishBackup"].append(gas(contract.functions.publishBackup(CID), patient))
    return used


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    artefact = load_artefact()
    naive_doc = json.loads((REPO / "benchmarks" / "NaiveGrants.json").read_text())
    with AnvilNode() as node:
        w3 = Web3(Web3.HTTPProvider(node.url))
        version = w3.client_version
        deployer = w3.eth.accounts[0]
        packed, packed_deploy = _deploy(w3, artefact.abi, artefact.bytecode, deployer)
        naive, naive_deploy = _deploy(w3, naive_doc["abi"], naive_doc["bytecode"], deployer)
        ours = measure(w3, packed, packed_deploy, naive=False, repeat=args.repeat)
        theirs = measure(w3, naive, naive_deploy, naive=True, repeat=args.repeat)

    def cell(values: list[int]) -> str:
        if not values:
            return "-"
        low, high = min(values), max(values)
        return f"{high:,}" if low == high else f"{low:,}-{high:,}"

    print(f"gas used on {version}, {args.repeat} runs each (CID {len(CID)} chars, wrapped key {WRAPPED_KEY_SIZE} bytes)")
    print(f"{'operation':<22}{'HealthGrants':>16}{'naive 4-slot':>16}{'target':>10}{'saved':>9}")
    for op in OPERATIONS:
        target = TARGETS.get(op)
        saved = ""
        if ours[op] and theirs[op]:
            saved = f"{1 - statistics.median(ours[op]) / statistics.median(theirs[op]):.0%}"
        print(f"{op:<22}{cell(ours[op]):>16}{cell(theirs[op]):>16}{(f'{target:,}' if target else ''):>10}{saved:>9}")
    missed = [op for op, target in TARGETS.items() if max(ours[op]) > target]
    if missed:
        print(f"MISSED: {', '.join(missed)}")
        return 1
    print("targets met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
