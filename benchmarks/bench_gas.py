"""Gas per operation of the grants contract beside a naive four-slot version, on anvil.

Both contracts are deployed on one anvil (started here on loopback from the npm
package) and exercised in the same run with the same inputs: a 59-character CIDv1 and
a 93-byte wrapped key, as the wallet sends them. Signed grants (EIP-712, a fresh
patient key per grant that holds nothing; a third account submits) are measured both
ways: ``grantBySig`` then ``recordAccess`` in two transactions, and
``grantBySigAndRecordAccess`` in one. Burning an id that was never submitted
(``revokeBySig`` on it) writes a new slot, so it costs more than revoking a grant.
Today's figures (the first contract, v1) are measured beside them in the same run.
Targets: grant ≤ 55,000, revoke ≤ 30,000, grantBySig ≤ 60,000, grantBySig with the
access log ≤ 80,000, revokeBySig ≤ 35,000, recordAccess ≤ 27,000; the exit status is 1
when one is missed.

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

from eth_account import Account  # noqa: E402
from web3 import Web3  # noqa: E402

from tests.chain.anvil_node import AnvilNode  # noqa: E402
from wallet.chain.canonical import canonical_address  # noqa: E402
from wallet.chain.contract import load_artefact  # noqa: E402
from wallet.chain.eip712 import Eip712Domain, sign_grant, sign_revoke, signed_grant_id  # noqa: E402
from wallet.chain.grants import from_chain_time, new_grant_id  # noqa: E402

CID = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
WRAPPED_KEY_SIZE = 93
TARGETS = {"grant": 55_000, "revoke": 30_000, "grantBySig": 60_000, "grantBySig+recordAccess (1 tx)": 80_000,
           "revokeBySig": 35_000, "recordAccess": 27_000}
OPERATIONS = ["registerKey (first)", "registerKey (again)", "grant", "recordAccess", "revoke", "grantBySig",
              "grantBySig, recordAccess (2 tx)", "grantBySig+recordAccess (1 tx)", "revokeBySig",
              "revokeBySig (burn unsubmitted)", "publishBackup", "deploy"]


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
        wrapped = os.urandom(WRAPPED_KEY_SIZE)
        used["grant"].append(gas(contract.functions.grant(gid, doctor, CID, wrapped, expires), patient))
        used["recordAccess"].append(gas(contract.functions.recordAccess(gid), doctor))
        used["revoke"].append(gas(contract.functions.revoke(gid), patient))
        if not naive:
            used["publishBackup"].append(gas(contract.functions.publishBackup(CID), patient))
            signed_ops(w3, contract, used, submitter=accounts[1], doctor=doctor, expires=expires)
    return used


def signed_ops(w3: Web3, contract, used: dict[str, list[int]], *, submitter: str, doctor: str, expires: int) -> None:
    """The signed-grant functions: patient keys that hold nothing sign, ``submitter`` pays."""
    domain = Eip712Domain(int(w3.eth.chain_id), contract.address)

    def gas(fn, sender: str) -> int:
        receipt = w3.eth.wait_for_transaction_receipt(fn.transact({"from": sender}))
        assert receipt["status"] == 1
        return receipt["gasUsed"]

    def signed(key):
        return sign_grant(key, domain, doctor, CID, os.urandom(WRAPPED_KEY_SIZE), from_chain_time(expires))

    key = Account.create()
    grant = signed(key)
    by_sig = gas(contract.functions.grantBySig(*grant.contract_args()), submitter)
    access = gas(contract.functions.recordAccess(grant.grant_id), doctor)
    used["grantBySig"].append(by_sig)
    used["recordAccess"].append(access)
    used["grantBySig, recordAccess (2 tx)"].append(by_sig + access)
    revoke = sign_revoke(key, domain, grant.grant_id)
    used["revokeBySig"].append(gas(contract.functions.revokeBySig(*revoke.contract_args()), submitter))
    both = signed(Account.create())
    used["grantBySig+recordAccess (1 tx)"].append(
        gas(contract.functions.grantBySigAndRecordAccess(*both.contract_args()), doctor))
    unsubmitted = Account.create()
    burn = sign_revoke(unsubmitted, domain, signed_grant_id(doctor, unsubmitted.address))
    used["revokeBySig (burn unsubmitted)"].append(gas(contract.functions.revokeBySig(*burn.contract_args()), submitter))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    artefact = load_artefact()
    naive_doc = json.loads((REPO / "benchmarks" / "NaiveGrants.json").read_text())
    v1_doc = json.loads((REPO / "wallet" / "chain" / "contracts" / "HealthGrants-v1.json").read_text())
    with AnvilNode() as node:
        w3 = Web3(Web3.HTTPProvider(node.url))
        version = w3.client_version
        deployer = w3.eth.accounts[0]
        packed, packed_deploy = _deploy(w3, artefact.abi, artefact.bytecode, deployer)
        naive, naive_deploy = _deploy(w3, naive_doc["abi"], naive_doc["bytecode"], deployer)
        first, first_deploy = _deploy(w3, v1_doc["abi"], v1_doc["bytecode"], deployer)
        ours = measure(w3, packed, packed_deploy, naive=False, repeat=args.repeat)
        theirs = measure(w3, naive, naive_deploy, naive=True, repeat=args.repeat)
        before = measure(w3, first, first_deploy, naive=True, repeat=args.repeat)

    def cell(values: list[int]) -> str:
        if not values:
            return "-"
        low, high = min(values), max(values)
        return f"{high:,}" if low == high else f"{low:,}-{high:,}"

    print(f"gas used on {version}, {args.repeat} runs each "
          f"(CID {len(CID)} chars, wrapped key {WRAPPED_KEY_SIZE} bytes)")
    print(f"{'operation':<34}{'HealthGrants':>16}{'before (v1)':>16}{'naive 4-slot':>16}{'target':>10}{'saved':>9}")
    for op in OPERATIONS:
        target = TARGETS.get(op)
        saved = ""
        if ours[op] and theirs[op]:
            saved = f"{1 - statistics.median(ours[op]) / statistics.median(theirs[op]):.0%}"
        columns = f"{cell(ours[op]):>16}{cell(before[op]):>16}{cell(theirs[op]):>16}"
        print(f"{op:<34}{columns}{(f'{target:,}' if target else ''):>10}{saved:>9}")
    print(f"canonical address (CREATE2 factory, same on every chain): {canonical_address()}")
    missed = [op for op, target in TARGETS.items() if max(ours[op]) > target]
    if missed:
        print(f"MISSED: {', '.join(missed)}")
        return 1
    print("targets met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
