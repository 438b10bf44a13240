import os
from pathlib import Path

import pytest

from asterisk_conf.layout import Layout
from asterisk_conf.render import render_config
from asterisk_conf.run_account import AccountError, RunAccount, mirror_into_root
from hotline.asterisk import asterisk_values
from hotline.config import load_config


def rendered(tmp_path):
    cfg = load_config(env={"HOTLINE_STATE_DIR": str(tmp_path), "HOTLINE_AMI_SECRET": "amisecret",
                           "HOTLINE_SIP_SECRET": "sipsecret"})
    layout = Layout(root=Path("/"), chrooted=False, instance="main")
    return cfg, render_config(asterisk_values(cfg), layout, "/usr/lib/asterisk/modules")


def test_everything_listens_on_loopback_only(tmp_path):
    _, conf = rendered(tmp_path)
    assert "bindaddr = 127.0.0.1" in conf["manager.conf"]
    assert "bind = 127.0.0.1:5060" in conf["pjsip.conf"]
    assert "timestampevents = yes" in conf["manager.conf"]


def test_secrets_come_from_config_not_templates(tmp_path):
    cfg, conf = rendered(tmp_path)
    assert "secret = amisecret" in conf["manager.conf"]
    assert f"password = {cfg.seat_password('8001')}" in conf["pjsip.conf"]
    template_dir = Path(__file__).resolve().parents[2] / "asterisk_conf"
    for template in template_dir.glob("*.conf"):
        assert "amisecret" not in template.read_text()


def test_seats_and_terminals_are_endpoints_with_auth(tmp_path):
    _, conf = rendered(tmp_path)
    pjsip = conf["pjsip.conf"]
    for ext in ["8001", "8010", "9001", "9010"]:
        assert f"[{ext}](phone-endpoint)" in pjsip
        assert f"[{ext}-auth](phone-auth)" in pjsip
    assert "context = from-terminal" in pjsip


def test_hotline_number_goes_to_fastagi_with_sighup_off(tmp_path):
    _, conf = rendered(tmp_path)
    dialplan = conf["extensions.conf"]
    assert "exten => 88900000,1" in dialplan
    sighup = dialplan.index("Set(AGISIGHUP=no)")
    agi = dialplan.index("AGI(${HOTLINE_ROUTE}/incoming,${HOTLINE_ARRIVAL},${HOTLINE_ORIGIN},")
    assert sighup < agi
    assert "HOTLINE_AGI = agi://127.0.0.1:4573" in dialplan
    assert "HOTLINE_AGI_ALT = agi://127.0.0.1:4573" in dialplan  # none configured: the same
    assert "ringcadence = 1000,4000" in conf["indications.conf"]


def test_the_roots_hosts_file_names_this_machine_so_asterisk_never_waits_on_dns():
    from asterisk_conf.sandbox import hosts_file

    first = hosts_file("vm").splitlines()[0].split()
    assert first == ["127.0.0.1", "localhost", "vm"]
    assert hosts_file("box.example.org").splitlines()[0].split()[1:] == [
        "localhost", "box.example.org", "box"]


def test_a_session_that_ends_early_is_entered_again_then_the_safety_net_runs(tmp_path):
    _, conf = rendered(tmp_path)
    hotline = conf["extensions.conf"].split("[hotline]", 1)[1].split("\n[", 1)[0]
    agi = hotline.index("(ivr),AGI(${HOTLINE_ROUTE}/incoming,")
    assert hotline.index("Set(HOTLINE_ROUTE=${HOTLINE_AGI})") < agi
    assert "Set(HOTLINE_ROUTE=${HOTLINE_AGI_ALT})" in hotline  # the second entry's process
    check = hotline.index('"${HOTLINE_DONE}" = "1" | "${DIALSTATUS}" = "ANSWER"]?end')
    assert agi < check < hotline.index("AGI(hotline_fallback.py)")
    assert "GotoIf($[${HOTLINE_TRIES} < 2]?again)" in hotline  # one more entry, not a loop
    # the call's first step, to the ms, kept on entering again
    assert hotline.index("1,Set(__HOTLINE_ARRIVAL=${STRFTIME(,,%s.%3q)})") < agi


def test_asterisk_admits_only_the_calls_its_rtp_range_can_carry(tmp_path):
    cfg, conf = rendered(tmp_path)
    assert (cfg.rtp_start, cfg.rtp_end) == (10000, 10999)
    assert "maxcalls = 500" in conf["asterisk.conf"]  # a channel takes an RTP+RTCP pair
    bounded = load_config(env={"HOTLINE_STATE_DIR": str(tmp_path),
                               "HOTLINE_ASTERISK_MAX_CALLS": "120"})
    assert bounded.effective_max_calls == 120


def _context(conf_text: str, name: str) -> list[str]:
    """The lines of one dialplan context (all its sections, appended ones included)."""
    lines, inside = [], False
    for line in conf_text.splitlines():
        if line.startswith("["):
            inside = line.split("]")[0] == f"[{name}"
            continue
        if inside and line.strip() and not line.startswith(";"):
            lines.append(line.strip())
    return lines


def test_a_trunk_caller_reaches_only_the_hotline(tmp_path):
    """The bench's app_queue numbers (88900001/2) would let a trunk caller ring the real
    seats around the ACD: they exist only in the bench instance's own file."""
    cfg, conf = rendered(tmp_path)
    trunk = _context(conf["extensions.conf"], "from-trunk")
    assert trunk == [f"exten => {cfg.hotline_number},1,Goto(hotline,{cfg.hotline_number},1)",
                     f"exten => {cfg.progress_number},1,Goto(progress,s,1)",
                     "exten => _X.,1,Hangup(1)"]
    assert "#include" not in conf["extensions.conf"]
    assert "Queue(" not in conf["extensions.conf"]

    values = asterisk_values(cfg, bench_queues=True)
    bench = render_config(values, Layout(root=Path("/"), chrooted=False, instance="bench"),
                          "/usr/lib/asterisk/modules")
    assert '#include "extensions_bench.conf"' in bench["extensions.conf"]
    assert "exten => 88900001,1,Queue(bench-ringall,r)" in _context(
        bench["extensions_bench.conf"], "from-trunk")


def test_the_ami_user_gets_only_the_classes_the_acd_uses(tmp_path):
    _, conf = rendered(tmp_path)
    grants = dict(line.split(" = ", 1) for line in conf["manager.conf"].splitlines()
                  if line.startswith(("read =", "write =")))
    for classes in grants.values():
        assert not {"all", "system", "command", "config"} & set(classes.split(","))
    assert "originate" in grants["write"]


def _fake_root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "var/lib/asterisk/moh").mkdir(parents=True)
    (root / "etc/passwd").write_text(
        "root:x:0:0:root:/root:/bin/bash\nasterisk:x:101:101:Asterisk PBX:/var/lib/asterisk:"
        "/usr/sbin/nologin\n")
    (root / "etc/group").write_text("root:x:0:\naudio:x:29:asterisk\nasterisk:x:101:\n")
    return root


def test_the_roots_package_account_takes_the_hosts_ids_and_its_files(tmp_path):
    """A uid the package chose (101) may be the host's PostgreSQL: it must not stay."""
    root = _fake_root(tmp_path)
    os.lchown(root / "var/lib/asterisk/moh", 101, 101)
    mirror_into_root(root, RunAccount("asterisk", 990, 991))
    assert "asterisk:x:990:991:" in (root / "etc/passwd").read_text()
    assert "asterisk:x:991:" in (root / "etc/group").read_text()
    assert "audio:x:29:asterisk" in (root / "etc/group").read_text()
    moh = (root / "var/lib/asterisk/moh").stat()
    assert (moh.st_uid, moh.st_gid) == (990, 991)


def test_an_id_taken_by_another_account_in_the_root_is_refused(tmp_path):
    root = _fake_root(tmp_path)
    with pytest.raises(AccountError, match="already belongs to root"):
        mirror_into_root(root, RunAccount("asterisk", 0, 0))


def test_cdr_and_cel_go_to_files_in_asterisks_own_log_folder_not_a_database(tmp_path):
    _, conf = rendered(tmp_path)
    assert "enable = yes" in conf["cdr.conf"] and "enable = yes" in conf["cel.conf"]
    assert "[/var/log/hotline/main/cdr]" in conf["cdr_sqlite3_custom.conf"]
    assert "[/var/log/hotline/main/cel]" in conf["cel_sqlite3_custom.conf"]
    loaded = {line.split("=", 1)[1].strip() for line in conf["modules.conf"].splitlines()
              if line.startswith("load =")}
    assert {"cdr_sqlite3_custom.so", "cel_sqlite3_custom.so"} <= loaded
    # no database account for Asterisk: no ODBC or PostgreSQL backend is loaded
    assert not {m for m in loaded if "odbc" in m or "pgsql" in m}
