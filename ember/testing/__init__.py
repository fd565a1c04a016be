"""Test helpers usable by Ember's tests and by users' own: the reference storage and the storage
conformance suite."""

from ember.testing.reference_storage import ReferenceStorage

__all__ = ["ReferenceStorage"]
