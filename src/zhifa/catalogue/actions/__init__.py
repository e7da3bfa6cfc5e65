"""Every behaviour of the catalogue, one module per family of actions (as Zulip's `zerver.actions`).

- `common`: a township or item by instance or code, the capability check, the revision check
  (`StaleVersion`, `check_revision`).
- `holdings`: what a township holds on a day, loaded for the pure `zhifa.rules.holdings`
  (`holding_facts`, `holding_on`, `held_item_codes`, `held_items`), the version in force
  (`version_in_force`, `versions_in_force`) and the items for the router.
- `versions`: reading versions (`published_versions`, `superseded_by`, `version_state`,
  `compare`) and a draft's life (`create_draft`, `pick`, `unpick`, `publish`, `discard_draft`).
- `items`: the county's offered items (`save_item`, `revoke_item`).
- `entrustments`: written entrustments (委托书): states, the renewal warning, create, update,
  early end, history.
- `discretion`: discretion benchmarks (`fine_range`, `save_tiers`) and `record_usage`.

Import a function from its module (`from zhifa.catalogue.actions.holdings import holding_on`);
`zhifa.catalogue.services` re-exports the public names for older callers. No module here imports
a later one of this list, nor anything above the catalogue.
"""
