"""Checks: what a run saw, judged against the scenario's expectations and its profile.

Theory of operation
-------------------
The runner distils a scenario run into a frozen, typed
:class:`~harness.checks.observation.Observation` (this package never imports the
runner). Each check id is one registered unit in :mod:`harness.checks.catalogue`: a
:class:`~harness.checks.registry.CheckSpec` (id, title, guide section, what it
judges, requirement or recommendation) and a pure judge from facts to a
:class:`~harness.checks.model.CheckResult`. :func:`harness.checks.evaluate.evaluate`
folds the registry; the fold marks checks that failed only because an earlier one
did as ``not-reached``. :mod:`harness.checks.model` is the result model every report
reads; :mod:`harness.checks.facts` derives the negotiated parameters and
certificates a report shows. docs/checks.md lists the ids.
"""
