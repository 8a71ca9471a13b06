"""Blob stores: where LFS object bytes live (local directory, memory, S3)."""
