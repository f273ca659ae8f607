import cProfile, pstats, time, io, os
from tests.sharing.test_signed_sharing import chain100, _on_chain100, RICH  # noqa
from tests.sharing.conftest import SMALL_PATIENT
from wallet.services import Sharing
from wallet.services.expiry import parse_expiry
from wallet.events import Progress


def test_profile(chain100, open_wallet):
    url = chain100.url
    patient = open_wallet("patient")
    _on_chain100(patient, url, active=True)
    patient.import_file(SMALL_PATIENT)
    doctor = open_wallet("doctor")
    _on_chain100(doctor, url, active=True)
    chain100.rpc("anvil_setBalance", doctor.identity.address, RICH)
    assert Sharing(doctor).register_key() is not None
    sharing = Sharing(patient)
    ids = sharing.choose_records()
    tokens = [sharing.grant(doctor.identity.address, record_ids=ids, expires_at=parse_expiry("7d", now=patient.chain().now())).token for _ in range(4)]
    ds = Sharing(doctor)
    ds.open(tokens[0])
    out = []
    for t in tokens[1:3]:
        marks = [("start", time.perf_counter())]
        ds.open(t, progress=lambda p: marks.append((p.message, time.perf_counter())))
        end = time.perf_counter()
        out.append(" ; ".join(f"{m}={(marks[i+1][1] if i+1 < len(marks) else end) - at:.4f}" for i, (m, at) in enumerate(marks)) + f" total={end - marks[0][1]:.4f}")
    from wallet.share.token import parse_token
    from wallet.services.networks import Networks
    def tm(f, n=20):
        xs=[]
        for _ in range(n):
            a=time.perf_counter(); f(); xs.append(time.perf_counter()-a)
        return f"{min(xs)*1000:.2f}ms"
    tok = parse_token(tokens[3])
    out.append("parse_token " + tm(lambda: parse_token(tokens[3])))
    out.append("verified " + tm(lambda: ds._verified(tok)))
    out.append("active_name " + tm(lambda: Networks(doctor.app).active_name()))
    out.append("chain_for " + tm(lambda: ds._chain_for(tok.chain_id, None)))
    out.append("received add " + tm(lambda: ds._received_book().add(tokens[3], now=doctor.app.clock.now()), 5))
    out.append("audit " + tm(lambda: ds._audit("open", detail="x", grant_id="0x" + "00"*32, tx="0x" + "00"*32), 5))
    pr = cProfile.Profile()
    pr.enable()
    ds.open(tokens[3])
    pr.disable()
    s = io.StringIO()
    pstats.Stats(pr, stream=s).sort_stats("cumulative").print_stats(45)
    open("/tmp/openfast/profile_open.txt", "w").write("\n".join(out) + "\n" + s.getvalue())
