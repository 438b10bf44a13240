import stat

import pytest

from hotline.config import ConfigError, load_config


def test_defaults_serve_one_machine_on_loopback(tmp_path):
    cfg = load_config(env={"HOTLINE_STATE_DIR": str(tmp_path)})
    assert (cfg.ami_host, cfg.ami_port) == ("127.0.0.1", 5038)
    assert (cfg.agi_host, cfg.agi_port) == ("127.0.0.1", 4573)
    assert (cfg.sip_host, cfg.sip_port) == ("127.0.0.1", 5060)
    assert (cfg.web_host, cfg.web_port) == ("127.0.0.1", 8890)
    assert cfg.effective_database_url.startswith("sqlite:///")
    assert cfg.seats == [str(n) for n in range(8001, 8011)]
    # the hotline's own Redis, never one that lets anyone in
    assert cfg.redis_url == f"redis://:{cfg.redis_password}@127.0.0.1:6390/0"
    assert len(cfg.redis_password) >= 32


def test_an_external_redis_is_used_as_given(tmp_path):
    cfg = load_config(env={"HOTLINE_STATE_DIR": str(tmp_path),
                           "HOTLINE_REDIS_URL": "rediss://hotline:pw@redis.city:6380/2"})
    assert cfg.redis_url == "rediss://hotline:pw@redis.city:6380/2"


def test_file_then_environment_override(tmp_path):
    path = tmp_path / "hotline.toml"
    path.write_text('[ami]\nport = 6000\n[web]\nport = 9000\n[database]\nurl = "postgresql://x/y"\n')
    env = {"HOTLINE_STATE_DIR": str(tmp_path), "HOTLINE_WEB_PORT": "9100"}
    cfg = load_config(path, env=env)
    assert cfg.ami_port == 6000
    assert cfg.web_port == 9100
    assert cfg.effective_database_url == "postgresql://x/y"


def test_secrets_are_generated_once_and_private(tmp_path):
    env = {"HOTLINE_STATE_DIR": str(tmp_path)}
    first = load_config(env=env)
    second = load_config(env=env)
    assert first.ami_secret and first.ami_secret == second.ami_secret
    mode = (tmp_path / "secrets.toml").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
    assert first.seat_password("8001") != first.seat_password("8002")


def test_environment_secret_wins(tmp_path):
    cfg = load_config(env={"HOTLINE_STATE_DIR": str(tmp_path), "HOTLINE_AMI_SECRET": "s3"})
    assert cfg.ami_secret == "s3"


@pytest.mark.parametrize("env,message", [
    ({"HOTLINE_AMI_PORT": "not-a-port"}, "ami_port"),
    ({"HOTLINE_INSTANCE": "../etc"}, "instance"),
    ({"HOTLINE_CONFIG": "/nonexistent/hotline.toml"}, "does not exist"),
])
def test_bad_values_give_a_clear_error(tmp_path, env, message):
    with pytest.raises(ConfigError, match=message):
        load_config(env={"HOTLINE_STATE_DIR": str(tmp_path), **env})


def test_broken_toml_names_the_file(tmp_path):
    path = tmp_path / "hotline.toml"
    path.write_text("[ami\nport=")
    with pytest.raises(ConfigError, match="hotline.toml"):
        load_config(path, env={"HOTLINE_STATE_DIR": str(tmp_path)})


def test_every_setting_can_be_given_in_the_file_and_the_environment(tmp_path):
    """A setting the loader does not know is silently its default: every field of
    Config must have its [section] key and its HOTLINE_ variable."""
    from dataclasses import fields

    from hotline.config import Config

    env = {"HOTLINE_STATE_DIR": str(tmp_path), "HOTLINE_ACD_LEASE_S": "3",
           "HOTLINE_AGI_ALT_PORT": "4574", "HOTLINE_SPOOL_LIMIT": "7",
           "HOTLINE_RECORDING_RETENTION_DAYS": "30", "HOTLINE_ASTERISK_MAX_CALLS": "99"}
    cfg = load_config(env=env)
    assert (cfg.acd_lease_s, cfg.agi_alt_port, cfg.spool_limit,
            cfg.recording_retention_days, cfg.asterisk_max_calls) == (3, 4574, 7, 30, 99)
    from hotline.config import _SECTIONS, _TOP_LEVEL

    known = set(_TOP_LEVEL) | {f"{s}_{k}" for s, keys in _SECTIONS.items() for k in keys}
    assert [f.name for f in fields(Config) if f.name not in known] == []


@pytest.mark.parametrize("raw,expected", [("yes", True), ("on", True), ("1", True),
                                          ("true", True), ("no", False), ("off", False),
                                          ("0", False), ("", True)])
def test_yes_no_settings_are_read_as_flags(tmp_path, raw, expected):
    """"" is unset: the default (follow-up on) stays."""
    cfg = load_config(env={"HOTLINE_STATE_DIR": str(tmp_path),
                           "HOTLINE_FOLLOWUP_ENABLED": raw})
    assert cfg.followup_enabled is expected
