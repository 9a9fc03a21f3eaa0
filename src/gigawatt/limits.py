"""Bounds every input number meets, far beyond any real plan: no stage allocates or
loops without limit. Plain constants, importable without the schema machinery (the
command line's flags read them at start-up)."""

MAX_QUANTITY = 1e15
"""The largest plain quantity a schema field takes (USD, MW, tokens, ...)."""
MAX_COUNT = 10**9
"""The largest count a schema field takes (GPUs, racks, ports, sequences, ...)."""
MAX_DIMENSION = 1 << 20
"""The largest model dimension (layers, hidden size, heads, experts, vocabulary)."""
MAX_FACILITY_GW = 1000.0
"""The most facility power a ramp step may name, GW (a tenth of the world's generation
capacity; the announced build-outs are 10 GW)."""
MAX_SITE_GW = 100.0
"""The most facility power one site may hold, GW."""
MAX_ITEMS = 1000
"""The most entries a list or mapping of a scenario may hold (ramp steps, claims, ...)."""
MAX_SAMPLES = 200_000
"""The most samples or grid points one sweep runs: twice the 100,000 samples a whole-plan
sweep of the default scenario takes in seconds; the bound keeps memory to a few GB."""
MAX_API_SAMPLES = 20_000
"""The most samples (or grid points) one vectorised sweep over HTTP runs: a shared service
answers each request in about a second (the CLI takes :data:`MAX_SAMPLES`)."""
MAX_API_POOLED_SAMPLES = 200
"""The most samples one process-pool sweep over HTTP runs: each sample (and each tornado
end) is a whole scalar plan, with the stages that do not vectorise (a training search)."""
MAX_WORKERS = 256
"""The most worker processes (or Ray tasks in flight) a pooled sweep starts."""
MAX_YAML_BYTES = 1 << 20
"""The largest YAML document read, bytes."""
MAX_YAML_DEPTH = 32
"""The deepest nesting of a YAML document (a scenario needs six levels)."""
MAX_YAML_ALIASES = 100
"""The most alias references (``*name``) a YAML document may hold: aliases let a few
bytes expand into a huge document."""
