"""Forms validate and explain; they never write (services do). One module
per job:

- fields.py: field types more than one page uses (yes/no, time zone);
- checkin.py: her check-in (a symptom, the formset, the check-in itself);
- weight.py: her weight, and correcting one she logged;
- invitations.py: inviting a survivor, and her accepting;
- rules.py: the clinic admin's rule pages.
"""
