"""Every state change of dispatch, one module per family of actions (as Zulip's `zerver.actions`).

- `common`: what every action shares: who the actor is for the transition table, the step
  clock and due times, the row lock, the `Transition` log and `_apply`.
- `geocoding`: coordinate systems and the grid location of a point.
- `suggestions`: the router's suggestion for a report, one at a time or in batches.
- `intake`: 一口受理, with its checks and the duplicate search.
- `route`: 转办, 指派, 改派 and the handler decision.
- `loop`: the handling loop: accept, return, finish, verify, call back, close, hold, extensions.
- `split_merge`: 拆分 and 合并.
- `urge`: 督办 and 升级 (by hand; the worker does them too).
- `whistle`: 吹哨报到.
- `worker`: the passes of the urging worker (`zhifa urge-overdue`).
- `perform`: one entry point for the pages' buttons and the API (form data to an action).

Import a function from its module (`from zhifa.dispatch.actions.route import do_route`);
`zhifa.dispatch.services` re-exports them all for older callers. A test that stands in for the
grid or the router patches `geocoding.locate` / `suggestions.suggest` (`suggest_many`): every
caller looks these up on their module, so one patch reaches them all.
"""
