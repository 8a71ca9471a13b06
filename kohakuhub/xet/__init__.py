"""Xet storage protocol formats (hashing, chunking, xorbs, shards).

Pure functions over bytes, written from the public "Xet Protocol Specification"
(huggingface/hub-docs, docs/xet/). Hashes are 32-byte ``bytes`` inside this package;
convert with :func:`kohakuhub.xet.hashing.hash_to_hex` only at the HTTP edge.

Where the spec is silent or loose, the reference client (hf_xet 1.8) decided, as
observed against a loopback endpoint (tests/unit/test_xet_client_interop.py):

- the merkle tree groups nodes by a content-defined cut (see hashing.merkle_root);
  an empty file's hash is the all-zero hash;
- LZ4 chunk payloads are LZ4 *frames*; uploaded xorbs carry no footer;
- the shard header tag is shard.SHARD_HEADER_TAG; upload shards carry verification
  entries and a sha256 metadata extension stored word-byte-reversed like a Xet hash;
  CAS chunk entries' byte offsets are running sums of unpacked sizes and
  num_bytes_on_disk is 0;
- a footer's "reserved" 48/72-byte blocks must hold the lookup tables and byte totals,
  or the client crashes reading a global-dedup shard;
- the global-dedup HMAC is blake3 keyed with the footer key.
"""
