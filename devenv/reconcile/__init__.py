"""The one path of `up` and `down`, as compose's ObservedState → Plan → Reconcile:

desired (`resolve`: each service's env and image; `desired`: the container specs, the network,
the volumes) → observed (`observed`: one snapshot of the engine through its port) → plan
(`plan`: typed actions, each with its cause, `causes`) → apply (`apply`, `teardown`). Planning
is pure; a dry run stops before apply."""
