"""Alert rules on monitors, the alerts they raise and the silences that mute them.

``models`` (imported by ``monitoring.models``, so the tables belong to the monitoring app),
``evaluation`` (rules against a finished run, a performance refresh, a batch, the clock),
``services`` (rules, acknowledge / resolve, silences: every write audited), ``selectors``,
``filters``, ``api/``, ``views`` and ``forms``. Notifications go through
``notifications.services.notify`` only, after commit. See docs/alerts.md.
"""
