"""The remote-write sender: WAL-fed, sharded queues that ship samples to remote-write 1.0 receivers."""

from ember.remote.sender.client import HttpxPoster, Poster, RemoteWriteError
from ember.remote.sender.queue_manager import QueueManager
from ember.remote.sender.storage import RemoteWriteStorage
from ember.remote.sender.wal_source import FollowerFactory, SampleSink, WalFollower

__all__ = [
    "FollowerFactory",
    "HttpxPoster",
    "Poster",
    "QueueManager",
    "RemoteWriteError",
    "RemoteWriteStorage",
    "SampleSink",
    "WalFollower",
]
