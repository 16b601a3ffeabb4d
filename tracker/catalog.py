"""The symptom catalog: stable codes, plain-language labels and help text.

The codes are a contract: rules, scenario files and reports refer to them.
Labels and help are written for a frightened, possibly older reader: short
words, no jargon, no alarm. Change wording freely; never change a code.
"""

# (code, label, help text, body site: "required" | "optional" | "none")
SYMPTOMS = [
    ("pain", "Pain", "An ache or pain anywhere, including in bones or joints. Tell us where it is.", "required"),
    ("headache", "Headache", "Pain or pressure in your head.", "none"),
    (
        "fracture",
        "A broken bone",
        "A bone that broke, or that you think broke, even after a small fall or bump.",
        "optional",
    ),
    ("weakness", "Weakness", "Arms or legs feel weak or heavy, or hard to lift.", "optional"),
    ("numbness", "Numbness or tingling", "Less feeling, pins and needles, or tingling.", "optional"),
    ("trouble_walking", "Trouble standing or walking", "Unsteady, stumbling, or hard to stand up or walk.", "none"),
    (
        "bladder_bowel_control",
        "Trouble controlling bladder or bowels",
        "Leaking urine or stool, or not being able to pass urine, when this is new for you.",
        "none",
    ),
    ("seizure", "Seizure (fit)", "Shaking you could not stop, or a blackout or fit.", "none"),
    ("dizziness", "Dizziness", "Feeling light-headed, faint, or as if the room is spinning.", "none"),
    ("nausea", "Feeling sick (nausea)", "Feeling like you might throw up.", "none"),
    ("vomiting", "Being sick (vomiting)", "Throwing up.", "none"),
    ("jaundice", "Yellow skin or eyes", "Yellow skin or yellow whites of the eyes.", "none"),
    ("cough", "Cough", "A cough that will not go away, especially a dry cough.", "none"),
    (
        "shortness_of_breath",
        "Short of breath",
        "Getting out of breath more easily than usual, or breathing feels hard.",
        "none",
    ),
    ("fatigue", "Tiredness", "Feeling very tired or drained, more than usual, even after rest.", "none"),
    ("appetite_loss", "Poor appetite", "Not feeling like eating, or feeling full quickly.", "none"),
    ("thirst", "Very thirsty", "Much more thirsty than usual, drinking a lot.", "none"),
    ("confusion", "Confusion", "Feeling muddled, forgetful or drowsy, or others say you seem confused.", "none"),
    (
        "other",
        "Something else",
        "Anything else that worries you. Please describe it in your own words in the note.",
        "optional",
    ),
]

# (code, label)
BODY_SITES = [
    ("head", "Head"),
    ("neck", "Neck"),
    ("upper_back", "Upper back"),
    ("lower_back", "Lower back"),
    ("hip", "Hip"),
    ("pelvis", "Pelvis"),
    ("ribs", "Ribs"),
    ("chest", "Chest"),
    ("abdomen", "Belly (abdomen)"),
    ("shoulder", "Shoulder"),
    ("arm", "Arm"),
    ("hand", "Hand"),
    ("leg", "Leg"),
    ("knee", "Knee"),
    ("foot", "Foot"),
    ("other", "Somewhere else"),
]


def load_catalog(symptom_model, body_site_model) -> None:
    """Upsert the catalog by code. Takes the model classes so that a data
    migration can pass its historical models. Idempotent."""
    for order, (code, label, help_text, body_site) in enumerate(SYMPTOMS):
        symptom_model.objects.update_or_create(
            code=code,
            defaults={
                "label": label,
                "help_text": help_text,
                "body_site": body_site,
                "free_text_only": code == "other",
                "sort_order": order,
            },
        )
    for order, (code, label) in enumerate(BODY_SITES):
        body_site_model.objects.update_or_create(code=code, defaults={"label": label, "sort_order": order})
