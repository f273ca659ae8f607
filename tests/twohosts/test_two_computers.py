"""A patient and a doctor on two computers joined only by a private network, with the
chain node on a third ("the internet"): anvil with chain id 100 standing in for a public
chain. Every step is the ``health-wallet`` command a user runs, inside that computer's
network namespace; nothing but 198.18.0.0/15 addresses and loopback exists there."""

from __future__ import annotations

import ipaddress

from tests.sharing.conftest import SMALL_PATIENT
from tests.twohosts.computers import CHAIN_ID, NETWORK_NAME, ChainNode
from tests.twohosts.netns import SUBNET
from wallet.chain.canonical import canonical_address
from wallet.share.token import parse_token


def _host(multiaddr: str) -> str:
    return multiaddr.split("/")[2]


def test_share_open_revoke_between_two_computers(chain_node: ChainNode, wallets) -> None:
    patient, doctor = wallets("patient"), wallets("doctor")
    patient_address = patient.setup(chain_node)["address"]
    doctor_address = doctor.setup(chain_node)["address"]
    status = doctor.ok("status")
    assert status["network"] == NETWORK_NAME and status["chain"]["chain_id"] == CHAIN_ID

    # The doctor pays for what the doctor does: the contract (once per chain) and the key.
    chain_node.fund(doctor_address)
    assert doctor.ok("deploy-contract")["address"] == canonical_address()
    assert doctor.ok("register-key")["registered"]
    chain_node.fund(patient_address)

    assert patient.ok("import", str(SMALL_PATIENT))["imported"]["Immunization"] == 7
    granted = patient.ok("grant", "--to", doctor_address, "--type", "Immunization", "--expires", "7d",
                         "--name", "Dr Quinn")
    token = parse_token(granted["token"])
    assert token.chain_id == CHAIN_ID and token.contract.lower() == canonical_address().lower()
    # The token tells the doctor where the patient's node is: its own address (loopback aside).
    hosts = {_host(p) for p in token.peers}
    assert patient.computer.address in hosts
    assert all(ipaddress.ip_address(h).is_loopback or ipaddress.ip_address(h) in SUBNET for h in hosts)

    serving = patient.serve()  # the patient's app stays open
    assert any(_host(a) == patient.computer.address for a in serving.info["addresses"])
    opened = doctor.ok("open", granted["token"])
    assert opened["records"] == {"Immunization": 7, "Patient": 1}
    assert opened["patient_name"] == "Ned Hintz" and opened["access_tx"].startswith("0x")
    assert serving.stop() == 0  # stops cleanly on SIGTERM

    listed = patient.ok("grants")
    assert [(g["grant_id"], g["status"], g["accesses"]) for g in listed] == [(granted["grant_id"], "active", 1)]
    logged = [e for e in doctor.ok("audit") if e["source"] == "chain" and e["grant_id"] == granted["grant_id"]]
    assert "accessed" in {e["event"] for e in logged}
    assert any(e["tx"] == opened["access_tx"] for e in logged)

    assert patient.ok("revoke", granted["grant_id"])["revoked"]
    refused = doctor.cli("open", granted["token"])
    assert refused.code == 1 and "revoked" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
    assert patient.ok("grants")[0]["status"] == "revoked"

