"""Order of the gallery's examples (a module, so the Sphinx configuration stays picklable)."""

FIRST = [
    "plot_pipeline.py",
    "plot_grid_search.py",
    "plot_heterogeneous_stragglers.py",
    "plot_custom_stragglers.py",
    "plot_dask_cluster.py",
]


class ExampleOrder:
    """Sort key: the examples of ``FIRST`` in that order, then the others by file name."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        if filename in FIRST:
            return f"{FIRST.index(filename):03d}"
        return f"999{filename}"

    def __repr__(self):
        return "skgc_gallery_order.ExampleOrder"
