# Reminders, check-in schedules and nurse triage arrive with issues 4 and 5.
