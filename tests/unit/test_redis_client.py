"""Redis URLs (one server, or a primary through Sentinel) and the instance's key hash tag."""

import pytest

from hotline.config import ConfigError, load_config
from hotline.redis_client import RedisUrlError, SentinelTarget, sentinel_target


def test_a_plain_redis_url_names_no_sentinels():
    assert sentinel_target("redis://:pw@127.0.0.1:6390/0") is None


def test_a_sentinel_url_names_every_sentinel_the_service_and_the_passwords():
    found = sentinel_target("redis+sentinel://:da%40ta@10.0.0.1:26379,[::1]:26380,"
                            "s3.city:26381/hotline/2?sentinel_password=watch")
    assert found == SentinelTarget(
        sentinels=(("10.0.0.1", 26379), ("::1", 26380), ("s3.city", 26381)),
        service="hotline", db=2, password="da@ta", sentinel_password="watch")
    assert sentinel_target("redis+sentinel://h:1/main").db == 0


@pytest.mark.parametrize("url", [
    "redis+sentinel://h:26379",  # no service
    "redis+sentinel:///hotline",  # no sentinel
    "redis+sentinel://h/hotline",  # no port
    "redis+sentinel://h:26379/hotline/zero",
    "redis+sentinel://h:26379/hotline/0/extra",
])
def test_a_broken_sentinel_url_is_refused_with_what_was_expected(url):
    with pytest.raises(RedisUrlError):
        sentinel_target(url)


def test_the_configuration_refuses_a_broken_sentinel_url_at_load(tmp_path):
    with pytest.raises(ConfigError, match="redis url"):
        load_config(env={"HOTLINE_STATE_DIR": str(tmp_path),
                         "HOTLINE_REDIS_URL": "redis+sentinel://h:x/hotline"})


def test_every_key_of_an_instance_shares_one_cluster_slot_and_the_spool_keeps_its_folder(
        tmp_path):
    cfg = load_config(env={"HOTLINE_STATE_DIR": str(tmp_path), "HOTLINE_INSTANCE": "yiwu"})
    assert cfg.key_prefix == "{hotline:yiwu}"  # the hash tag: Redis Cluster's one slot
    assert cfg.durable_spool_dir.name == "hotline_yiwu"  # the folder of earlier releases
    tagged = load_config(env={"HOTLINE_STATE_DIR": str(tmp_path),
                              "HOTLINE_REDIS_PREFIX": "{city}:acd"})
    assert tagged.key_prefix == "{city}:acd"  # an operator's own tag is kept
