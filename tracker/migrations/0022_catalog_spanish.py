"""The symptom catalog's Spanish for an installation made before it: fills
the blank `label_es` / `help_text_es` of the shipped codes and leaves alone
any an admin has written. The words are copied here (not imported from
tracker/catalog.py) so this migration says the same thing whenever it runs;
`seed_catalog` refreshes them from catalog.py."""

from django.db import migrations

SYMPTOMS_ES = {
    "pain": (
        "Dolor",
        "Un dolor en cualquier parte, también en los huesos o las articulaciones. Díganos dónde.",
    ),
    "headache": (
        "Dolor de cabeza",
        "Dolor o presión en la cabeza.",
    ),
    "fracture": (
        "Un hueso roto",
        "Un hueso que se rompió, o que usted cree que se rompió, aunque haya sido por una caída o un golpe pequeño.",
    ),
    "weakness": (
        "Debilidad",
        "Siente los brazos o las piernas débiles o pesados, o le cuesta levantarlos.",
    ),
    "numbness": (
        "Adormecimiento u hormigueo",
        "Nota menos sensibilidad, o siente hormigueo o como pinchazos.",
    ),
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
    "dizziness": (
        "Mareo",
        "Siente que se va a desmayar, o que todo le da vueltas.",
    ),
    "nausea": (
        "Náuseas (ganas de vomitar)",
        "Siente que podría vomitar.",
    ),
    "vomiting": (
        "Vómitos",
        "Ha vomitado.",
    ),
    "jaundice": (
        "Piel u ojos amarillos",
        "La piel o la parte blanca de los ojos se ven amarillas.",
    ),
    "cough": (
        "Tos",
        "Una tos que no se quita, sobre todo una tos seca.",
    ),
    "shortness_of_breath": (
        "Falta de aire",
        "Se queda sin aire más fácilmente que de costumbre, o le cuesta respirar.",
    ),
    "fatigue": (
        "Cansancio",
        "Siente mucho cansancio o falta de fuerzas, más que de costumbre, aunque descanse.",
    ),
    "appetite_loss": (
        "Poco apetito",
        "No tiene ganas de comer, o se llena enseguida.",
    ),
    "thirst": (
        "Mucha sed",
        "Tiene mucha más sed que de costumbre y bebe mucho.",
    ),
    "confusion": (
        "Confusión",
        "Le cuesta pensar con claridad, se olvida de las cosas o tiene mucho sueño, o otras personas lo notan.",
    ),
    "other": (
        "Otra cosa",
        "Cualquier otra cosa que le preocupe. Por favor, descríbala con sus propias palabras en la nota.",
    ),
}

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


def fill_spanish(apps, schema_editor):
    Symptom = apps.get_model("tracker", "Symptom")
    BodySite = apps.get_model("tracker", "BodySite")
    for code, (label, help_text) in SYMPTOMS_ES.items():
        Symptom.objects.filter(code=code, label_es="").update(label_es=label)
        Symptom.objects.filter(code=code, help_text_es="").update(help_text_es=help_text)
    for code, label in BODY_SITES_ES.items():
        BodySite.objects.filter(code=code, label_es="").update(label_es=label)


class Migration(migrations.Migration):
    dependencies = [("tracker", "0021_languages")]
    # Backwards: nothing to undo (the columns stay; blank is "not written").
    operations = [migrations.RunPython(fill_spanish, migrations.RunPython.noop)]
