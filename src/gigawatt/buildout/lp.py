"""A small linear-programme container over HiGHS: named blocks of variables and rows.

Blocks are added as whole numpy arrays (no per-element Python loops), the sparse matrix is
assembled once in :meth:`LinearProgramme.build`, and :meth:`LinearProgramme.solve` returns
primal values and row duals. This is the only module that imports ``highspy``.

:class:`Basis` carries a solved programme's simplex basis between processes, and
:meth:`LinearProgramme.solve` takes one as a warm start: a programme of the same shape with
other numbers (a sweep's sample) starts from it instead of from scratch. A kept HiGHS instance
(:meth:`LinearProgramme.build` with ``into``) is refilled per programme rather than made anew.

In *elastic* mode every row block added with an ``elastic`` weight gets one slack column per
row that may violate it, at that weight per unit, and the objective becomes the weighted sum
of slacks (a phase-1 programme): its optimum shows the cheapest way out of an infeasible plan.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Literal

import highspy
import numpy as np
from numpy.typing import ArrayLike

INF = float("inf")
Sense = Literal["max", "min"]
Term = tuple[ArrayLike, ArrayLike, ArrayLike]
"""``(row, col, coef)``: arrays broadcast together, one matrix entry per element."""


def silent_highs() -> highspy.Highs:
    """A HiGHS instance that prints nothing.

    The first instance in a process prints a banner on stdout from C++, before any option can
    be set; ``--json`` output must stay clean, so file descriptor 1 points at /dev/null while
    it is made, and C's stdio buffers are flushed there before it is restored.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            highs = highspy.Highs()  # type: ignore[no-untyped-call]
            with contextlib.suppress(OSError, AttributeError, TypeError):
                ctypes.CDLL(None).fflush(None)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    highs.setOptionValue("output_flag", False)
    return highs


@dataclass
class Basis:
    """A simplex basis as plain integer arrays (``HighsBasisStatus`` codes), picklable.

    The HiGHS object is made once per process, on first use, and kept.
    """

    col_status: np.ndarray
    row_status: np.ndarray
    _highs_basis: highspy.HighsBasis | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, highs: highspy.Highs) -> Basis:
        """The basis HiGHS holds after a solve."""
        b = highs.getBasis()
        return cls(np.array([int(v) for v in b.col_status], dtype=np.int8),
                   np.array([int(v) for v in b.row_status], dtype=np.int8))

    def highs_basis(self) -> highspy.HighsBasis:
        """The basis as HiGHS takes it (made on first call, then kept)."""
        if self._highs_basis is None:
            status = highspy.HighsBasisStatus
            b = highspy.HighsBasis()
            b.col_status = [status(int(v)) for v in self.col_status]
            b.row_status = [status(int(v)) for v in self.row_status]
            b.valid = True
            self._highs_basis = b
        return self._highs_basis

    def __getstate__(self) -> dict[str, np.ndarray]:
        return {"col_status": self.col_status, "row_status": self.row_status}

    def __setstate__(self, state: dict[str, np.ndarray]) -> None:
        self.col_status, self.row_status = state["col_status"], state["row_status"]
        self._highs_basis = None


@dataclass(frozen=True)
class Assembly:
    """How the programme's entries fold into a row-wise matrix: the sort of their (row, col)
    keys and where repeated keys start. It depends only on the sparsity pattern, so
    programmes of the same shape (a sweep's samples) reuse it."""

    row: np.ndarray
    col: np.ndarray
    order: np.ndarray
    first: np.ndarray
    key: np.ndarray

    @classmethod
    def of(cls, row: np.ndarray, col: np.ndarray, n_cols: int) -> Assembly:
        """Sort the keys by row, then column."""
        key = row.astype(np.int64) * n_cols + col
        order = np.argsort(key, kind="stable")
        key = key[order]
        first = np.ones(len(key), dtype=bool)
        first[1:] = key[1:] != key[:-1]
        return cls(row, col, order, np.flatnonzero(first), key[first])

    def fits(self, row: np.ndarray, col: np.ndarray) -> bool:
        """Whether entries at ``(row, col)`` have this pattern."""
        return (len(row) == len(self.row) and np.array_equal(row, self.row)
                and np.array_equal(col, self.col))


@dataclass(frozen=True)
class Solution:
    """What the solver returned: status, objective, primal values and row duals.

    ``row_dual[i]`` is d(objective) / d(bound of row i) for the row's active bound.
    """

    status: Literal["optimal", "infeasible", "other"]
    message: str
    objective: float
    col_value: np.ndarray
    row_dual: np.ndarray
    solve_s: float
    iterations: int = 0


@dataclass
class RowBlock:
    """Row indices of one named block, shaped as the block's index space."""

    name: str
    rows: np.ndarray


@dataclass
class LinearProgramme:
    """Columns and rows added block by block, then built and solved once."""

    sense: Sense = "max"
    elastic: bool = False
    n_cols: int = 0
    n_rows: int = 0
    col_lower: list[np.ndarray] = field(default_factory=list)
    col_upper: list[np.ndarray] = field(default_factory=list)
    col_cost: list[np.ndarray] = field(default_factory=list)
    row_lower: list[np.ndarray] = field(default_factory=list)
    row_upper: list[np.ndarray] = field(default_factory=list)
    entries: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    variables: dict[str, np.ndarray] = field(default_factory=dict)
    blocks: dict[str, RowBlock] = field(default_factory=dict)
    slacks: dict[str, np.ndarray] = field(default_factory=dict)
    assembly: Assembly | None = None
    _highs: highspy.Highs | None = None

    def add_variables(self, name: str, shape: tuple[int, ...], lower: float | np.ndarray = 0.0,
                      upper: float | np.ndarray = INF) -> np.ndarray:
        """Add a block of columns; returns their indices, shaped ``shape``."""
        n = int(np.prod(shape))
        index = np.arange(self.n_cols, self.n_cols + n).reshape(shape)
        self.n_cols += n
        self.col_lower.append(np.broadcast_to(lower, shape).astype(float).ravel())
        self.col_upper.append(np.broadcast_to(upper, shape).astype(float).ravel())
        self.col_cost.append(np.zeros(n))
        self.variables[name] = index
        return index

    def add_cost(self, cols: np.ndarray, coef: np.ndarray | float) -> None:
        """Add ``coef`` to the objective coefficient of ``cols`` (ignored in elastic mode)."""
        if not self.elastic:
            self._add_cost(cols, coef)

    def _add_cost(self, cols: np.ndarray, coef: np.ndarray | float) -> None:
        cost = np.concatenate(self.col_cost)
        np.add.at(cost, np.ravel(cols), np.broadcast_to(coef, np.shape(cols)).ravel())
        self.col_cost = [cost]

    def add_constraints(self, name: str, shape: tuple[int, ...],
                        terms: list[Term],
                        upper: ArrayLike | None = None,
                        lower: ArrayLike | None = None,
                        elastic: float | np.ndarray | None = None) -> np.ndarray:
        """Add ``lower <= sum(coef * x[col]) <= upper`` for each row of a block.

        ``terms`` are ``(row, col, coef)`` arrays broadcast together; ``row`` is the flat
        index of the row within the block. Exactly one of ``upper`` and ``lower`` is given.
        Returns the block's row indices, shaped ``shape``.
        """
        n = int(np.prod(shape))
        rows = np.arange(self.n_rows, self.n_rows + n)
        for row, col, coef in terms:
            r, c, v = np.broadcast_arrays(np.asarray(row), np.asarray(col), np.asarray(coef))
            self.entries.append((rows[r.ravel()], c.ravel(), v.ravel().astype(float)))
        is_upper = upper is not None
        given = upper if upper is not None else lower
        if given is None:
            raise ValueError(f"{name}: give an upper or a lower bound")
        bound = np.broadcast_to(np.asarray(given, dtype=float), shape).ravel()
        self.row_upper.append(bound if is_upper else np.full(n, INF))
        self.row_lower.append(np.full(n, -INF) if is_upper else bound)
        self.n_rows += n
        self.blocks[name] = RowBlock(name, rows.reshape(shape))
        if self.elastic and elastic is not None:
            slack = self.add_variables(f"slack:{name}", shape)
            sign = -1.0 if is_upper else 1.0
            self.entries.append((rows, slack.ravel(), np.full(n, sign)))
            self._add_cost(slack, np.broadcast_to(elastic, n).reshape(shape))
            self.slacks[name] = slack
        return rows.reshape(shape)

    def build(self, into: highspy.Highs | None = None,
              assembly: Assembly | None = None) -> highspy.Highs:
        """Assemble the row-wise sparse matrix and hand the programme to HiGHS.

        ``into``: a HiGHS instance to refill (its options kept) instead of a new one;
        ``assembly``: the fold of an earlier programme with the same sparsity pattern (used
        when it fits, else made anew; :attr:`assembly` holds the one used).
        """
        row, col, val = (np.concatenate(parts) for parts in zip(*self.entries, strict=True))
        # One sort on a combined key orders entries by row, then column; repeated entries
        # (the same variable reached twice in one row) are summed.
        if assembly is None or not assembly.fits(row, col):
            assembly = Assembly.of(row, col, self.n_cols)
        self.assembly = assembly
        val = val[assembly.order]
        val = np.add.reduceat(val, assembly.first) if len(val) else val
        row, col = np.divmod(assembly.key[val != 0], self.n_cols)
        val = val[val != 0]
        start = np.concatenate([[0], np.cumsum(np.bincount(row, minlength=self.n_rows))])
        sense = (highspy.ObjSense.kMaximize if self.sense == "max" and not self.elastic
                 else highspy.ObjSense.kMinimize)
        highs = into if into is not None else silent_highs()
        # The array form of passModel hands numpy buffers straight to C++; filling a HighsLp
        # field by field converts element by element and takes several times longer.
        status = highs.passModel(
            self.n_cols, self.n_rows, len(val), int(highspy.MatrixFormat.kRowwise), int(sense),
            0.0, np.concatenate(self.col_cost), np.concatenate(self.col_lower),
            np.concatenate(self.col_upper), np.concatenate(self.row_lower),
            np.concatenate(self.row_upper), start[:-1].astype(np.int32),
            col.astype(np.int32), val.astype(np.float64),
            np.zeros(self.n_cols, dtype=np.int32))  # integrality: all continuous
        if status == highspy.HighsStatus.kError:
            raise RuntimeError("HiGHS rejected the assembled programme")
        self._highs = highs
        return highs

    def solve(self, warm: Basis | None = None) -> Solution:
        """Run HiGHS on the built programme, from the basis ``warm`` when given (a basis of a
        programme of the same shape; HiGHS repairs it where it does not fit these numbers)."""
        highs = self._highs if self._highs is not None else self.build()
        start = time.perf_counter()
        infeasible = (highspy.HighsModelStatus.kInfeasible,
                      highspy.HighsModelStatus.kUnboundedOrInfeasible)
        if warm is not None:
            highs.setBasis(warm.highs_basis())
        highs.run()
        status = highs.getModelStatus()
        if warm is not None and status not in (highspy.HighsModelStatus.kOptimal, *infeasible):
            highs.clearSolver()  # a warm start that went nowhere: solve from scratch
            highs.run()
            status = highs.getModelStatus()
        elapsed = time.perf_counter() - start
        kind: Literal["optimal", "infeasible", "other"] = (
            "optimal" if status == highspy.HighsModelStatus.kOptimal
            else "infeasible" if status in infeasible else "other")
        solution = highs.getSolution()
        have = kind == "optimal"
        return Solution(
            status=kind,
            message=highs.modelStatusToString(status),
            objective=float(highs.getInfo().objective_function_value) if have else float("nan"),
            col_value=np.asarray(solution.col_value) if have else np.zeros(self.n_cols),
            row_dual=np.asarray(solution.row_dual) if have else np.zeros(self.n_rows),
            solve_s=elapsed,
            iterations=int(highs.getInfo().simplex_iteration_count),
        )

    def basis(self) -> Basis:
        """The simplex basis of the last solve."""
        assert self._highs is not None
        return Basis.of(self._highs)
