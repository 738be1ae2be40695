"""Construction of the literature's codes by name (used by :func:`make_code`)."""

from ._cyclic import CyclicCode
from ._replicated import BgcCode, GraphCode, IgnoreUnbiasedCode, SgcCode
from ._repetition import ErasureHeadCode, FrcCode

__all__ = ["build_code"]


def build_code(name, n_workers, n_partitions, load, p, random_state):
    """Build one of "ignore_unbiased", "frc", "cyclic", "erasurehead", "sgc", "bgc", "graph".

    Parameters
    ----------
    name : str
    n_workers, n_partitions : int
    load : int, array-like of int or None
    p : ndarray of shape (n_workers,)
    random_state : None, int or Generator

    Returns
    -------
    code : GradientCode
    """
    if name in ("frc", "erasurehead"):
        return (FrcCode if name == "frc" else ErasureHeadCode)(n_workers, n_partitions, load, p)
    if name == "cyclic":
        return CyclicCode(n_workers, n_partitions, load, p, random_state)
    if name == "ignore_unbiased":
        return IgnoreUnbiasedCode(p, n_partitions, load)
    cls = {"sgc": SgcCode, "bgc": BgcCode, "graph": GraphCode}[name]
    return cls(p, n_partitions, load, random_state)
