"""The symptom catalog: stable codes, plain-language labels and help text.

The codes are a contract: rules, scenario files and reports refer to them.
Labels and help are written for a frightened, possibly older reader: short
words, no jargon, no alarm. Change wording freely; never change a code.

The Spanish sits beside the English by code (SYMPTOMS_ES, BODY_SITES_ES):
written for the same reader, not word for word. It fills the rows'
`label_es` / `help_text_es` columns (tracker/i18n.py: localized).
"""

from types import SimpleNamespace

from .i18n import localized

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

# code -> (label, help text), in Spanish
SYMPTOMS_ES = {
    "pain": ("Dolor", "Un dolor en cualquier parte, también en los huesos o las articulaciones. Díganos dónde."),
    "headache": ("Dolor de cabeza", "Dolor o presión en la cabeza."),
    "fracture": (
        "Un hueso roto",
        "Un hueso que se rompió, o que usted cree que se rompió, aunque haya sido por una caída o un golpe pequeño.",
    ),
    "weakness": ("Debilidad", "Siente los brazos o las piernas débiles o pesados, o le cuesta levantarlos."),
    "numbness": ("Adormecimiento u hormigueo", "Nota menos sensibilidad, o siente hormigueo o como pinchazos."),
    "trouble_walking": (
        "Dificultad para estar de pie o caminar",
        "Se siente inestable, se tropieza, o le cuesta ponerse de pie o caminar.",
    ),
    "bladder_bowel_control": (
        "Problemas para controlar la orina o el intestino",
        "Se le escapa la orina o las heces, o no puede orinar, y eso es nuevo para usted.",
    ),
    "seizure": (
        "Convulsión (ataque)",
        "Sacudidas del cuerpo que no pudo parar, o perdió el conocimiento o tuvo un ataque.",
    ),
    "dizziness": ("Mareo", "Siente que se va a desmayar, o que todo le da vueltas."),
    "nausea": ("Náuseas (ganas de vomitar)", "Siente que podría vomitar."),
    "vomiting": ("Vómitos", "Ha vomitado."),
    "jaundice": ("Piel u ojos amarillos", "La piel o la parte blanca de los ojos se ven amarillas."),
    "cough": ("Tos", "Una tos que no se quita, sobre todo una tos seca."),
    "shortness_of_breath": (
        "Falta de aire",
        "Se queda sin aire más fácilmente que de costumbre, o le cuesta respirar.",
    ),
    "fatigue": ("Cansancio", "Siente mucho cansancio o falta de fuerzas, más que de costumbre, aunque descanse."),
    "appetite_loss": ("Poco apetito", "No tiene ganas de comer, o se llena enseguida."),
    "thirst": ("Mucha sed", "Tiene mucha más sed que de costumbre y bebe mucho."),
    "confusion": (
        "Confusión",
        "Le cuesta pensar con claridad, se olvida de las cosas o tiene mucho sueño, o otras personas lo notan.",
    ),
    "other": (
        "Otra cosa",
        "Cualquier otra cosa que le preocupe. Por favor, descríbala con sus propias palabras en la nota.",
    ),
}

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

# code -> label, in Spanish
BODY_SITES_ES = {
    "head": "Cabeza",
    "neck": "Cuello",
    "upper_back": "Parte alta de la espalda",
    "lower_back": "Parte baja de la espalda",
    "hip": "Cadera",
    "pelvis": "Pelvis",
    "ribs": "Costillas",
    "chest": "Pecho",
    "abdomen": "Barriga (abdomen)",
    "shoulder": "Hombro",
    "arm": "Brazo",
    "hand": "Mano",
    "leg": "Pierna",
    "knee": "Rodilla",
    "foot": "Pie",
    "other": "En otra parte",
}


def label_in_language(label: str, label_es: str, language: str | None = None) -> str:
    """A catalog row's label in the active (or given) language, from its two
    columns as a query read them (rows as JSON, not model instances)."""
    return localized(SimpleNamespace(label=label, label_es=label_es), "label", language)


def _has_field(model, name: str) -> bool:
    return any(field.name == name for field in model._meta.get_fields())


def load_catalog(symptom_model, body_site_model) -> None:
    """Upsert the catalog by code. Takes the model classes so that a data
    migration can pass its historical models: one from before the Spanish
    columns (0002) gets the English only; 0022 fills the Spanish of an
    existing installation. Idempotent."""
    spanish = _has_field(symptom_model, "label_es")
    for order, (code, label, help_text, body_site) in enumerate(SYMPTOMS):
        defaults = {
            "label": label,
            "help_text": help_text,
            "body_site": body_site,
            "free_text_only": code == "other",
            "sort_order": order,
        }
        if spanish:
            defaults["label_es"], defaults["help_text_es"] = SYMPTOMS_ES[code]
        symptom_model.objects.update_or_create(code=code, defaults=defaults)
    spanish = _has_field(body_site_model, "label_es")
    for order, (code, label) in enumerate(BODY_SITES):
        defaults = {"label": label, "sort_order": order}
        if spanish:
            defaults["label_es"] = BODY_SITES_ES[code]
        body_site_model.objects.update_or_create(code=code, defaults=defaults)
