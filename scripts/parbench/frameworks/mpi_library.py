"""Which MPI an mpi run used: mpi4py's version and the MPI library's vendor and version, recorded
with its result (the same for every problem's mpi variant)."""

from __future__ import annotations


def versions() -> dict[str, str]:
    # Imported here: importing mpi4py.MPI initialises MPI, which only an mpi run may do.
    import mpi4py
    from mpi4py import MPI

    vendor, version = MPI.get_vendor()
    return {
        "mpi4py": mpi4py.__version__,
        "mpi_vendor": f"{vendor} {'.'.join(map(str, version))}",
        "mpi_library": MPI.Get_library_version().splitlines()[0].strip(),
    }
