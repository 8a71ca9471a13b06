"""Servers the tests and benchmarks start for themselves: a private PostgreSQL cluster and MinIO.

Nothing is assumed to run on the machine. Each server lives in a temporary directory, listens on a free
loopback port, and is stopped (directory removed) by its owner; a server whose owner died without
stopping it is ended by the kernel (``PR_SET_PDEATHSIG``) and its directory removed by the next start.
"""
