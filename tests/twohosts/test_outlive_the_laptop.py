"""The acceptance scenario of shares and backups that outlive the patient's laptop, on
computers joined only by a private network (see test_two_computers.py): anvil with chain
id 100 and a keeper on "the internet", the patient, the doctor, and later the patient's
new computer. Every step is the ``health-wallet`` command a user runs on that computer."""

from __future__ import annotations

from tests.sharing.conftest import SMALL_PATIENT
from tests.twohosts.computers import ChainNode, Keeper
from wallet.chain.canonical import canonical_address
from wallet.share.token import parse_token


def _host(multiaddr: str) -> str:
    return multiaddr.split("/")[2]


def test_shares_and_backups_outlive_the_patients_computer(network, chain_node: ChainNode, wallets, tmp_path) -> None:
    """The acceptance scenario: the patient (holding no cryptocurrency) shares and backs up
    with a keeper as its pinning service, then its computer goes away; the doctor opens
    from the keeper and the access is logged on chain; a new computer restores from the
    phrase alone and revokes; the doctor is refused."""
    keeper = Keeper(network.internet, tmp_path / "keeper")
    patient, doctor = wallets("patient"), wallets("doctor")
    created = patient.setup(chain_node)
    patient_address, phrase = created["address"], created["recovery_phrase"]
    doctor_address = doctor.setup(chain_node)["address"]
    chain_node.fund(doctor_address)
    assert doctor.ok("deploy-contract")["address"] == canonical_address()
    assert doctor.ok("register-key")["registered"]

    assert keeper.endpoint.startswith("https://")  # the access token crosses the network encrypted
    added = keeper.pinning_add(patient, tmp_path)
    assert added["status"] == "ok"
    assert patient.ok("import", str(SMALL_PATIENT))["imported"]["Immunization"] == 7
    assert chain_node.balance(patient_address) == 0
    granted = patient.ok("grant", "--to", doctor_address, "--type", "Immunization", "--expires", "7d",
                         "--name", "Dr Quinn")
    assert granted["on_chain"] is False and granted["tx"] is None  # signed; the doctor's wallet submits it
    assert granted["held_by"] == [{"service": "Keeper", "status": "pinned"}]
    assert chain_node.balance(patient_address) == 0  # sharing cost the patient nothing
    token = parse_token(granted["token"])
    # The token names the keeper's node (its address on the network, perhaps its loopback too).
    assert {d.rsplit("/p2p/", 1)[1] for d in token.delegates} == {keeper.info["peer_id"]}
    assert network.internet.address in {_host(d) for d in token.delegates}
    assert chain_node.rpc("eth_getTransactionCount", granted["grant_signer"], "latest") == "0x0"

    chain_node.fund(patient_address)  # the backup's pointer is one transaction of the patient's own
    published = patient.ok("publish")
    assert published["held_by"] == [{"service": "Keeper", "status": "pinned"}]

    # The patient's computer goes away: nothing of it runs, and its link is down.
    assert patient.computer.pids() == set()
    patient.computer.link_down()

    opened = doctor.ok("open", granted["token"])
    assert opened["records"] == {"Immunization": 7, "Patient": 1}
    assert opened["grant_tx"].startswith("0x") and opened["access_tx"].startswith("0x")
    received = doctor.ok("grants", "--received")
    assert [(g["grant_id"], g["status"], g["accesses"]) for g in received] == [(granted["grant_id"], "active", 1)]
    logged = {e["event"] for e in doctor.ok("audit") if e["source"] == "chain" and e["grant_id"] == granted["grant_id"]}
    assert {"granted", "accessed"} <= logged

    # A new computer for the patient, the recovery phrase alone.
    laptop = wallets("new-laptop")
    assert laptop.setup(chain_node, restore=phrase)["address"] == patient_address
    restored = laptop.ok("restore-backup")
    assert restored["cid"] == published["cid"] and [h["service"] for h in restored["held_by"]] == ["Keeper"]
    assert restored["imported"]["Immunization"] == 7
    mine = laptop.ok("grants")
    assert [(g["grant_id"], g["status"], g["accesses"]) for g in mine] == [(granted["grant_id"], "active", 1)]
    assert laptop.ok("revoke", granted["grant_id"])["revoked"]

    refused = doctor.cli("open", granted["token"])
    assert refused.code == 1 and "revoked" in refused.stderr and "Traceback" not in refused.stderr
    assert laptop.ok("grants")[0]["status"] == "revoked"
    assert keeper.stop() == 0  # the keeper stops cleanly on SIGTERM
