"""Reminders: the messages that go to a survivor (and the escalation emails
to nurses), kept as rows in PostgreSQL, which is the schedule.

preferences  her channels, check-in day and hour, quiet hours
schedule     writing reminder rows: a check-in's flags, the weekly check-ins
loop         closing the loop: her reminders stop once she or a nurse acts
notices      her in-app notices: shown, dismissed
sweep        what is due: the sweep, its emergency lane, escalation
delivery     sending one message, recording it, retries
channels     email, SMS, in-app: one class each, one registry
"""
