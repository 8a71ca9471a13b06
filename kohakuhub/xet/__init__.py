"""Xet storage protocol formats (hashing, chunking, xorbs, shards).

Pure functions over bytes, written from the public "Xet Protocol Specification"
(huggingface/hub-docs, docs/xet/). Hashes are 32-byte ``bytes`` inside this package;
convert with :func:`kohakuhub.xet.hashing.hash_to_hex` only at the HTTP edge.
"""
