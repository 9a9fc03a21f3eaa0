"""Network fabric sizing: NVLink scale-up domains and the rail-optimised scale-out fat tree.

``count_tree`` counts switches and links from plain numbers; ``design_fabric`` prices them
from a table of :class:`Parts` (:mod:`gigawatt.estimates.fabric` reads the parts from the
catalog).
"""

from gigawatt.models.network.design import FabricDesign, FabricError, Parts, design_fabric
from gigawatt.models.network.tree import Tree, count_tree

__all__ = ["FabricDesign", "FabricError", "Parts", "Tree", "count_tree", "design_fabric"]
