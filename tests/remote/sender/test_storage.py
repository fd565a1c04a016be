from __future__ import annotations

import asyncio

import pytest
from prometheus_client import CollectorRegistry

from ember.config.durations import Duration
from ember.config.http_client import BasicAuth, HTTPClientConfig
from ember.config.prometheus import QueueConfig, RemoteWriteConfig
from ember.errors import ConfigError
from ember.model.labels import Labels
from ember.remote.sender import RemoteWriteStorage
from ember.remote.sender.storage import config_hash
from tests.remote.sender.fakes import FakeReceiver, FollowerRegistry

A = RemoteWriteConfig(url="http://a.test/write", name="a")
B = RemoteWriteConfig(url="http://b.test/write")


def test_reload_keeps_unchanged_queues_and_replaces_changed_ones() -> None:
    followers = FollowerRegistry()
    registry = CollectorRegistry()
    storage = RemoteWriteStorage(followers, registry=registry, client_factory=FakeReceiver().client_factory)

    async def main() -> None:
        await storage.apply_config([A, B], Labels())
        first = {q.name: q for q in storage.queues}
        assert set(first) == {"a", config_hash(B)[:6]}
        changed = RemoteWriteConfig(url=B.url, queue_config=QueueConfig(max_shards=3))
        await storage.apply_config([A, changed], Labels())
        second = {q.name: q for q in storage.queues}
        assert second["a"] is first["a"]
        assert config_hash(B)[:6] not in second and config_hash(changed)[:6] in second
        assert followers.followers[1].stopped and not followers.followers[0].stopped
        await storage.apply_config([A, changed], Labels.from_strings("dc", "eu"))
        assert all(q is not second["a"] for q in storage.queues)  # new external labels: every queue anew
        assert registry.get_sample_value("prometheus_remote_storage_shards_max",
                                         {"remote_name": "a", "url": A.url}) == 50
        await storage.stop()
        assert storage.queues == []
        assert all(f.stopped for f in followers.followers)

    asyncio.run(main())


def test_lowest_segment_in_use_is_the_minimum_over_queues() -> None:
    followers = FollowerRegistry()
    storage = RemoteWriteStorage(followers, client_factory=FakeReceiver().client_factory)

    async def main() -> None:
        assert storage.lowest_segment_in_use() is None
        await storage.apply_config([A, B], Labels())
        followers.followers[0].segment = 12
        followers.followers[1].segment = 9
        assert storage.lowest_segment_in_use() == 9
        await storage.stop()
        assert storage.lowest_segment_in_use() is None

    asyncio.run(main())


def test_duplicate_configs_and_names_are_config_errors() -> None:
    storage = RemoteWriteStorage(FollowerRegistry(), client_factory=FakeReceiver().client_factory)
    with pytest.raises(ConfigError, match="duplicate remote write configs"):
        asyncio.run(storage.apply_config([A, A], Labels()))
    other = RemoteWriteConfig(url="http://c.test/write", name="a")
    with pytest.raises(ConfigError, match="multiple remote write configs with job name 'a'"):
        asyncio.run(storage.apply_config([A, other], Labels()))


def test_the_hash_covers_secrets_that_repr_hides() -> None:
    one = RemoteWriteConfig(url=A.url, http_client_config=HTTPClientConfig(basic_auth=BasicAuth("u", password="x")))
    two = RemoteWriteConfig(url=A.url, http_client_config=HTTPClientConfig(basic_auth=BasicAuth("u", password="y")))
    assert repr(one) == repr(two)
    assert config_hash(one) != config_hash(two)
    assert config_hash(one) == config_hash(RemoteWriteConfig(
        url=A.url, http_client_config=HTTPClientConfig(basic_auth=BasicAuth("u", password="x"))))
    assert config_hash(A) != config_hash(RemoteWriteConfig(url=A.url, name="a", remote_timeout=Duration(1)))

