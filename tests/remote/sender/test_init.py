import ember.remote.sender


def test_public_names_are_pinned() -> None:
    assert sorted(ember.remote.sender.__all__) == [
        "FollowerFactory", "HttpxPoster", "Poster", "QueueManager", "RemoteWriteError", "RemoteWriteStorage",
        "SampleSink", "WalFollower",
    ]
    assert all(hasattr(ember.remote.sender, name) for name in ember.remote.sender.__all__)
