from pathlib import Path

from hotline.config import load_config
from hotline.own_redis import conf_text


def test_the_own_redis_listens_on_loopback_with_a_hashed_password_and_no_danger(tmp_path):
    cfg = load_config(env={"HOTLINE_STATE_DIR": str(tmp_path)})
    text = conf_text(cfg, Path("/x"))
    assert "bind 127.0.0.1 -::1" in text.splitlines()
    assert cfg.redis_password not in text and "requirepass" not in text
    user = next(line for line in text.splitlines() if line.startswith("user default"))
    assert "nopass" not in user and "-@dangerous" in user and user.split()[3].startswith("#")
    assert "appendonly yes" in text.splitlines()
