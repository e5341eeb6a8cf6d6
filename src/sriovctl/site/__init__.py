"""Desired state for a host and a fleet: the site spec, per-host plans, apply and verify.

    spec.load_site(path) -> Site          YAML + JSON Schema + cross-field checks, or one
                                          InputError naming file:line, field and expectation
    claims.claims_for(site, host, name)   which groups take which PFs and VFs on one host
    plan.plan_host(...) -> HostPlan       the ordered changes, nothing written
    apply.apply_host(...)                 the plan through sriovctl.changes' executor, then
                                          the host read back and compared (as nmstate does),
                                          rolled back on a mismatch or an interrupt
"""
