"""The I/O-bound problem's parts: the object store each fetch run starts for itself (store), the
client that fetches an object and checks it (client), and asyncio, the approach that only this
kind of problem has (variants)."""
