"""Forms validate and explain; they never write (services do). One module
per job:

- fields.py: field types more than one page uses (yes/no, time zone);
- checkin.py: her check-in (a symptom, the formset, the check-in itself);
- weight.py: her weight, and correcting one she logged;
- invitations.py: inviting a survivor, and her accepting;
- rules.py: the clinic admin's rule pages.
"""

# Re-exported while moving (issue 14); call sites move to the modules next.
from .checkin import (  # noqa: F401
    SEVERITY_CHOICES,
    BaseSymptomEntryFormSet,
    CheckInForm,
    SymptomEntryForm,
    SymptomEntryFormSet,
    local_today,
)

# Re-exported while moving (issue 14); call sites move to the modules next.
from .fields import YES_NO, TimeZoneField, YesNoField  # noqa: F401

# Re-exported while moving (issue 14); call sites move to the modules next.
from .invitations import InvitationAcceptForm, InvitationForm  # noqa: F401

# Re-exported while moving (issue 14); call sites move to the modules next.
from .rules import (  # noqa: F401
    RuleForm,
    RulesImportForm,
    RuleSwitchForm,
    ScenarioBenchForm,
    SentenceTestForm,
)

# Re-exported while moving (issue 14); call sites move to the modules next.
from .weight import WeightCorrectForm, WeightField, WeightForm  # noqa: F401
