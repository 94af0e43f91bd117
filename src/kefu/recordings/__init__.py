"""Recordings (录音): the metadata of every recorded call segment, search, playback with an
audit trail, phone retrieval, archive and retention.  A business slice (docs/architecture.md)."""
