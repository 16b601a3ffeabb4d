from io import StringIO

from django.core.management import call_command

from tracker.models import CheckIn, Clinic, Plan, PlanChange, PlanItem, PlanTemplate, SymptomEntry, User, WeightEntry


def test_seed_demo_creates_a_clinic_staff_and_four_survivors_with_history_one_reading_spanish(db):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    clinic = Clinic.objects.get()
    assert User.objects.filter(role="nurse", staff_clinics=clinic).count() == 1
    assert User.objects.filter(role="clinic_admin", staff_clinics=clinic).count() == 1
    survivors = User.objects.filter(role="survivor", clinic=clinic)
    assert survivors.count() == 4
    assert [s.email for s in survivors.filter(language="es")] == ["rosa@demo.followup.test"]
    for survivor in survivors:
        assert CheckIn.objects.filter(survivor=survivor).count() >= 4
        assert WeightEntry.objects.filter(survivor=survivor).count() >= 4
        for entry in SymptomEntry.objects.filter(survivor=survivor):
            entry.full_clean()  # believable: every entry passes the same validation as the form
            assert entry.started_on >= survivor.enrolled_on
    assert "nurse@demo.followup.test" in out.getvalue()
    assert "followup-demo" in out.getvalue()


def test_seed_demo_is_idempotent(db):
    call_command("seed_demo", stdout=StringIO())
    counts = (User.objects.count(), CheckIn.objects.count(), SymptomEntry.objects.count(), WeightEntry.objects.count())
    plans = (PlanTemplate.objects.count(), Plan.objects.count(), PlanItem.objects.count(), PlanChange.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert plans == (
        PlanTemplate.objects.count(),
        Plan.objects.count(),
        PlanItem.objects.count(),
        PlanChange.objects.count(),
    )
    assert counts == (
        User.objects.count(),
        CheckIn.objects.count(),
        SymptomEntry.objects.count(),
        WeightEntry.objects.count(),
    )


def test_the_catalog_is_seeded_with_its_contract_codes(db):
    from tracker.models import BodySite, Symptom

    call_command("seed_catalog", stdout=StringIO())
    assert set(Symptom.objects.values_list("code", flat=True)) == {
        "pain",
        "headache",
        "fracture",
        "weakness",
        "numbness",
        "trouble_walking",
        "bladder_bowel_control",
        "seizure",
        "dizziness",
        "nausea",
        "vomiting",
        "jaundice",
        "cough",
        "shortness_of_breath",
        "fatigue",
        "appetite_loss",
        "thirst",
        "confusion",
        "other",
    }
    assert set(BodySite.objects.values_list("code", flat=True)) == {
        "head",
        "neck",
        "upper_back",
        "lower_back",
        "hip",
        "pelvis",
        "ribs",
        "chest",
        "abdomen",
        "shoulder",
        "arm",
        "hand",
        "leg",
        "knee",
        "foot",
        "other",
    }
    assert Symptom.objects.get(code="jaundice").help_text == "Yellow skin or yellow whites of the eyes."
    assert Symptom.objects.get(code="pain").body_site == "required"
    assert all(s.label and s.help_text for s in Symptom.objects.all())


def test_seed_demo_raises_the_flags_the_rules_would_have_raised(db):
    from tracker.models import Flag
    from tracker.services.rules import rules_load_defaults

    rules_load_defaults()
    call_command("seed_demo", stdout=StringIO())
    joan = User.objects.get(email="joan@demo.followup.test")
    maria = User.objects.get(email="maria@demo.followup.test")
    assert Flag.objects.filter(survivor=joan, rule__slug="bone-pain-new-or-worse").exists()
    assert not Flag.objects.filter(survivor=maria).exists()  # stable arthritis and usual tiredness
    rosa = User.objects.get(email="rosa@demo.followup.test")
    assert not Flag.objects.filter(survivor=rosa).exists()  # the same, in her own words in Spanish


def test_seed_demo_gives_each_survivor_a_plan_from_the_default_template(db):
    call_command("seed_demo", stdout=StringIO())
    template = PlanTemplate.objects.get(builtin="asco-2013-breast")
    assert Plan.objects.filter(template=template).count() == 4
    for plan in Plan.objects.all():
        assert plan.items.filter(state="due").exists()
        assert plan.items.filter(state="booked").count() == 1
